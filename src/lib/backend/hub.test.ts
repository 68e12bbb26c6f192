import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus } from './bus';
import { Hub, type Producer } from './hub';
import { SseConnection } from './sse/connection';
import { collect } from './testing';

/** A producer the test drives by hand: `emit` publishes, `state` is the snapshot. */
function manualProducer(
	state: { event: string; data: number }[] = [{ event: 'message', data: 0 }]
) {
	const calls = { starts: 0, stops: 0 };
	let emit: ((event: string, data: number) => void) | null = null;
	const producer: Producer<number> = {
		start(fn) {
			calls.starts++;
			emit = fn;
			return () => {
				calls.stops++;
				emit = null;
			};
		},
		snapshot: () => state
	};
	return {
		producer,
		calls,
		emit(data: number, event = 'message') {
			if (!emit) throw new Error('producer not running');
			emit(event, data);
		}
	};
}

function setup(replayCapacity = 5, idStart = 100) {
	const manual = manualProducer();
	const onReplay = vi.fn();
	const onIdle = vi.fn();
	const hub = new Hub<number>('t', manual.producer, createMemoryBus(), {
		replayCapacity,
		idStart,
		onReplay,
		onIdle
	});
	return { hub, manual, onReplay, onIdle };
}

const connection = () => new SseConnection({ maxBufferBytes: 1 << 20 });

describe('Hub replay buffer', () => {
	it('numbers events from idStart + 1, strictly increasing', () => {
		const { hub, manual } = setup(10);
		hub.listen(() => {});
		for (let i = 1; i <= 4; i++) manual.emit(i);
		expect(hub.lastId).toBe(104);
		expect(hub.entriesAfter(100)!.map((e) => [e.id, e.data])).toEqual([
			[101, 1],
			[102, 2],
			[103, 3],
			[104, 4]
		]);
		const orders = hub.entriesAfter(100)!.map((e) => e.order);
		expect(orders).toEqual([...orders].sort((a, b) => a - b));
	});

	it('answers entriesAfter: missed entries, [] when caught up, null when unknown or evicted', () => {
		const { hub, manual } = setup(3);
		hub.listen(() => {});
		for (let i = 1; i <= 5; i++) manual.emit(i);
		// Buffer holds 103..105.
		expect(hub.entriesAfter(105)).toEqual([]);
		expect(hub.entriesAfter(104)!.map((e) => e.id)).toEqual([105]);
		expect(hub.entriesAfter(102)!.map((e) => e.id)).toEqual([103, 104, 105]);
		expect(hub.entriesAfter(101)).toBeNull();
		expect(hub.entriesAfter(0)).toBeNull();
		expect(hub.entriesAfter(106)).toBeNull();
		expect(hub.entriesAfter(null)).toBeNull();
		expect(hub.entryAfter(102)?.id).toBe(103);
		expect(hub.entryAfter(101)).toBeNull();
		expect(hub.entryAfter(105)).toBeUndefined();
	});

	it("sends a snapshot: state with no event yet first, then this run's newest events with their ids", async () => {
		const { hub, manual } = setup();
		manual.producer.snapshot = () => [
			{ event: 'A', data: 1 },
			{ event: 'B', data: 2 }
		];
		const first = connection();
		const reader = collect(first.stream);
		hub.join(first, { lastEventId: null });
		// Nothing was emitted yet: the position is the feed's start.
		expect(await reader.events()).toEqual([
			{ event: 'A', data: '1' },
			{ event: 'B', data: '2', id: '100' }
		]);
		manual.emit(5, 'A');
		const second = connection();
		const secondReader = collect(second.stream);
		hub.join(second, { lastEventId: null });
		// A has been sent in this run: its snapshot is that event itself, id and all.
		expect(await secondReader.events()).toEqual([
			{ event: 'B', data: '2' },
			{ event: 'A', data: '5', id: '101' }
		]);
		expect(await reader.events()).toEqual([{ event: 'A', data: '5', id: '101' }]);
	});

	it('resumes a client from its Last-Event-ID with no gap and no duplicate, then live', async () => {
		const { hub, manual, onReplay } = setup(10);
		hub.listen(() => {});
		for (let i = 1; i <= 4; i++) manual.emit(i);
		const client = connection();
		const reader = collect(client.stream);
		hub.join(client, { lastEventId: 102 });
		manual.emit(5);
		expect((await reader.events()).map((e) => [e.id, e.data])).toEqual([
			['103', '3'],
			['104', '4'],
			['105', '5']
		]);
		expect(onReplay).toHaveBeenCalledTimes(1);
		// Caught up: nothing is replayed, nothing is sent until the next event.
		const caughtUp = connection();
		const caughtUpReader = collect(caughtUp.stream);
		hub.join(caughtUp, { lastEventId: 105 });
		expect(await caughtUpReader.events()).toEqual([]);
		manual.emit(6);
		expect((await caughtUpReader.events()).map((e) => e.id)).toEqual(['106']);
	});

	it('resumes a client that saw only the snapshot taken before the first event', async () => {
		const { hub, manual } = setup(10);
		hub.listen(() => {});
		const early = connection();
		const earlyReader = collect(early.stream);
		hub.join(early, { lastEventId: null });
		const [snapshot] = await earlyReader.events();
		manual.emit(1);
		manual.emit(2);
		const back = connection();
		const backReader = collect(back.stream);
		hub.join(back, { lastEventId: Number(snapshot!.id) });
		expect((await backReader.events()).map((e) => e.id)).toEqual(['101', '102']);
	});

	it('sends the snapshot when the id was evicted or was never issued', async () => {
		const { hub, manual } = setup(2);
		hub.listen(() => {});
		for (let i = 1; i <= 5; i++) manual.emit(i);
		for (const lastEventId of [101, 999, 0]) {
			const client = connection();
			const reader = collect(client.stream);
			hub.join(client, { lastEventId });
			expect(await reader.events()).toEqual([{ event: 'message', data: '5', id: '105' }]);
		}
	});

	it('filters live events and replays per client', async () => {
		const { hub, manual } = setup(10);
		hub.listen(() => {});
		manual.emit(1, 'A');
		manual.emit(2, 'B');
		const client = connection();
		const reader = collect(client.stream);
		hub.join(client, { lastEventId: 100, filter: (m) => m.event === 'B' });
		manual.emit(3, 'A');
		manual.emit(4, 'B');
		expect((await reader.events()).map((e) => e.data)).toEqual(['2', '4']);
	});
});

describe('Hub subscriptions', () => {
	it('is idempotent: the producer starts once and stops after the last leaves', () => {
		const { hub, manual, onIdle } = setup();
		const a = connection();
		const b = connection();
		const leaveA = hub.join(a, { lastEventId: null });
		hub.join(a, { lastEventId: null });
		hub.join(b, { lastEventId: null });
		const listener = vi.fn();
		const unlisten = hub.listen(listener);
		hub.listen(listener);
		expect(manual.calls.starts).toBe(1);
		expect(hub.size).toBe(3);
		expect(hub.running).toBe(true);

		leaveA();
		leaveA();
		hub.leave(a);
		expect(hub.size).toBe(2);
		manual.emit(1);
		expect(listener).toHaveBeenCalledTimes(1);
		unlisten();
		unlisten();
		expect(hub.size).toBe(1);
		expect(manual.calls.stops).toBe(0);
		hub.leave(b);
		expect(manual.calls.stops).toBe(1);
		expect(onIdle).toHaveBeenCalledTimes(1);
		expect(hub.running).toBe(false);
		hub.leave(b);
		expect(manual.calls.stops).toBe(1);

		// A new client starts it again; ids carry on from where they were.
		hub.join(connection(), { lastEventId: null });
		expect(manual.calls.starts).toBe(2);
		manual.emit(2);
		expect(hub.lastId).toBe(102);
	});

	it('does not send an event emitted on start twice', async () => {
		const manual = manualProducer();
		const start = manual.producer.start;
		manual.producer.start = (emit) => {
			const stop = start(emit);
			emit('message', 42);
			return stop;
		};
		manual.producer.snapshot = () => [{ event: 'message', data: 42 }];
		const hub = new Hub<number>('t', manual.producer, createMemoryBus(), { replayCapacity: 5 });
		const client = connection();
		const reader = collect(client.stream);
		hub.join(client, { lastEventId: null });
		expect(await reader.events()).toEqual([{ event: 'message', data: '42', id: '1' }]);
	});

	it('skips closed clients and counts what it fans out', () => {
		const onFanOut = vi.fn();
		const manual = manualProducer();
		const hub = new Hub<number>('t', manual.producer, createMemoryBus(), {
			replayCapacity: 5,
			onFanOut
		});
		const open = connection();
		const closed = connection();
		hub.join(open, { lastEventId: null });
		hub.join(closed, { lastEventId: null });
		closed.close();
		manual.emit(1);
		const bytes = hub.entriesAfter(0)![0]!.bytes.byteLength;
		expect(onFanOut).toHaveBeenLastCalledWith(1, bytes);
	});
});
