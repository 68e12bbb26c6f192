import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus, type FeedBus, type FeedMessage } from './bus';
import { Hub, type Producer } from './hub';
import { SseConnection } from './sse/connection';
import { WRITES_PER_TURN, flushPending } from './fan-out';
import { collect } from './testing';

/** A producer the test drives by hand: `emit` publishes; `onStart` is what it sends as it starts. */
function manualProducer(onStart: { event: string; data: number }[] = []) {
	const calls = { starts: 0, stops: 0 };
	let emit: ((event: string, data: number) => void) | null = null;
	const producer: Producer<number> = {
		start(fn) {
			calls.starts++;
			emit = fn;
			for (const { event, data } of onStart) fn(event, data);
			return () => {
				calls.stops++;
				emit = null;
			};
		}
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
	const hub = new Hub<number>('t', manual.producer, createMemoryBus({ idStart }), {
		replayCapacity,
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

	it('sends a snapshot of real events: the newest of each name, with their own ids, in id order', async () => {
		const { hub, manual } = setup();
		const first = connection();
		const reader = collect(first.stream);
		hub.join(first, { lastEventId: null });
		// Nothing was emitted yet: nothing to send, and no id is invented.
		expect(await reader.events()).toEqual([]);
		manual.emit(1, 'A');
		manual.emit(2, 'B');
		manual.emit(5, 'A');
		const second = connection();
		const secondReader = collect(second.stream);
		hub.join(second, { lastEventId: null });
		expect(await secondReader.events()).toEqual([
			{ event: 'B', data: '2', id: '102' },
			{ event: 'A', data: '5', id: '103' }
		]);
		expect((await reader.events()).map((e) => e.id)).toEqual(['101', '102', '103']);
	});

	it('sends the newest `history` events before the snapshot, each once and in id order', async () => {
		const { hub, manual } = setup(10);
		hub.listen(() => {});
		manual.emit(1, 'A');
		manual.emit(2, 'B');
		manual.emit(3, 'A');
		manual.emit(4, 'A');
		const client = connection();
		const reader = collect(client.stream);
		hub.join(client, { lastEventId: null, history: 2 });
		// The last two (103, 104) plus B's newest (102), which the snapshot needs.
		expect((await reader.events()).map((e) => [e.id, e.event, e.data])).toEqual([
			['102', 'B', '2'],
			['103', 'A', '3'],
			['104', 'A', '4']
		]);
		const all = connection();
		const allReader = collect(all.stream);
		hub.join(all, { lastEventId: null, history: 50 });
		expect((await allReader.events()).map((e) => e.id)).toEqual(['101', '102', '103', '104']);
		// A resumable Last-Event-ID wins over history: only what was missed.
		const back = connection();
		const backReader = collect(back.stream);
		hub.join(back, { lastEventId: 103, history: 50 });
		expect((await backReader.events()).map((e) => e.id)).toEqual(['104']);
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

	it('resumes a client that saw only the snapshot', async () => {
		const { hub, manual } = setup(10);
		hub.listen(() => {});
		manual.emit(1);
		const early = connection();
		const earlyReader = collect(early.stream);
		hub.join(early, { lastEventId: null });
		const [snapshot] = await earlyReader.events();
		expect(snapshot?.id).toBe('101');
		early.close();
		manual.emit(2);
		manual.emit(3);
		const back = connection();
		const backReader = collect(back.stream);
		hub.join(back, { lastEventId: Number(snapshot!.id) });
		expect((await backReader.events()).map((e) => e.id)).toEqual(['102', '103']);
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
		const manual = manualProducer([{ event: 'message', data: 42 }]);
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
		flushPending();
		const bytes = hub.entriesAfter(0)![0]!.bytes.byteLength;
		expect(onFanOut).toHaveBeenLastCalledWith({ writes: 1, deliveries: 1, bytes });
	});
});

describe('Hub coalescing', () => {
	it('writes the events of one turn to each client in one write, and waits for the turn to end', () => {
		const { hub, manual } = setup(10);
		const writes: number[] = [];
		const clients = [connection(), connection()];
		for (const client of clients) {
			const write = client.write.bind(client);
			client.write = (bytes) => {
				writes.push(bytes.byteLength);
				return write(bytes);
			};
			hub.join(client, { lastEventId: null });
		}
		manual.emit(1);
		manual.emit(2);
		manual.emit(3);
		expect(writes).toEqual([]);
		flushPending();
		const eventBytes = hub.entriesAfter(100)!.reduce((n, e) => n + e.bytes.byteLength, 0);
		expect(writes).toEqual([eventBytes, eventBytes]);
	});

	it('flushes by itself at the end of the turn', async () => {
		const { hub, manual } = setup(10);
		const client = connection();
		const reader = collect(client.stream);
		hub.join(client, { lastEventId: null });
		manual.emit(7);
		await new Promise((resolve) => setImmediate(resolve));
		expect(client.bytesWritten).toBeGreaterThan(0);
		expect((await reader.events()).map((e) => e.data)).toEqual(['7']);
	});

	it('gives a client that joins mid-turn only the queued events its snapshot lacks', async () => {
		const { hub, manual } = setup(10);
		const early = connection();
		const earlyReader = collect(early.stream);
		hub.join(early, { lastEventId: null });
		manual.emit(1);
		const late = connection();
		const lateReader = collect(late.stream);
		// Joins before the flush: its snapshot already holds 101.
		hub.join(late, { lastEventId: null });
		manual.emit(2);
		expect((await lateReader.events()).map((e) => e.id)).toEqual(['101', '102']);
		expect((await earlyReader.events()).map((e) => e.id)).toEqual(['101', '102']);
	});

	it('spreads a fan-out to more clients than one turn writes over several turns, in order', async () => {
		const { hub, manual } = setup(10);
		const count = WRITES_PER_TURN + WRITES_PER_TURN / 2;
		/** The ids each client got, one array per write. */
		const writes = Array.from({ length: count }, () => [] as string[][]);
		for (const got of writes) {
			const client = connection();
			const write = client.write.bind(client);
			client.write = (bytes) => {
				got.push([...new TextDecoder().decode(bytes).matchAll(/^id: (\d+)$/gm)].map((m) => m[1]!));
				return write(bytes);
			};
			hub.join(client, { lastEventId: null });
		}
		const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
		manual.emit(1);
		await nextTurn();
		// One turn wrote to the first WRITES_PER_TURN clients; the rest wait for the next.
		expect(writes.filter((w) => w.length > 0)).toHaveLength(WRITES_PER_TURN);
		manual.emit(2);
		await nextTurn();
		// The next turn went on where the last one stopped: the clients not written to yet got both
		// events in one write; then it went round again to give the first ones the second event.
		const shapes = (from: number, to: number) =>
			new Set(writes.slice(from, to).map((w) => JSON.stringify(w)));
		const half = WRITES_PER_TURN / 2;
		expect(shapes(WRITES_PER_TURN, count)).toEqual(new Set(['[["101","102"]]']));
		expect(shapes(0, half)).toEqual(new Set(['[["101"],["102"]]']));
		expect(shapes(half, WRITES_PER_TURN)).toEqual(new Set(['[["101"]]']));
		await nextTurn();
		expect(shapes(0, WRITES_PER_TURN)).toEqual(new Set(['[["101"],["102"]]']));
		expect(writes.every((w) => w.flat().join() === '101,102')).toBe(true);
	});

	it('writes every client at once when flushed by hand, past WRITES_PER_TURN', () => {
		const { hub, manual } = setup(10);
		const clients = Array.from({ length: WRITES_PER_TURN + 1 }, () => connection());
		for (const client of clients) hub.join(client, { lastEventId: null });
		manual.emit(1);
		flushPending();
		expect(clients.every((c) => c.bytesWritten > 0)).toBe(true);
	});

	it('shares one write among clients with the same filter key, and filters per key', async () => {
		const { hub, manual } = setup(10);
		const onlyB = (m: { event: string }) => m.event === 'B';
		const a = connection();
		const b = connection();
		const readers = [collect(a.stream), collect(b.stream)];
		hub.join(a, { lastEventId: null, filter: onlyB, filterKey: 'B' });
		hub.join(b, { lastEventId: null, filter: onlyB, filterKey: 'B' });
		const other = connection();
		const otherReader = collect(other.stream);
		hub.join(other, { lastEventId: null });
		manual.emit(1, 'A');
		manual.emit(2, 'B');
		for (const reader of readers) {
			expect((await reader.events()).map((e) => e.data)).toEqual(['2']);
		}
		expect((await otherReader.events()).map((e) => e.data)).toEqual(['1', '2']);
	});
});

/**
 * Two instances' view of one shared bus: each publish is numbered once and logged, every
 * subscriber on every instance gets it, and `read`/`tail` answer from the log a moment later.
 */
function sharedBus() {
	const log: FeedMessage[] = [];
	/** Whether some instance produces the feed now (holds its lease). */
	const state = { producing: true };
	const inner = createMemoryBus({ idStart: 100 });
	inner.subscribe('t', (message) => log.push(message));
	const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1));
	const bus: FeedBus = {
		...inner,
		sharedLog: true,
		read: <T>(_topic: string, after: number, limit: number) => {
			const first = log[0];
			if (!first || after < first.id - 1) return later(null);
			return later(log.filter((m) => m.id > after).slice(0, limit) as FeedMessage<T>[]);
		},
		tail: <T>(_topic: string, count: number) => later(log.slice(-count) as FeedMessage<T>[]),
		hasProducer: () => later(state.producing)
	};
	return { bus, log, state };
}

describe('Hub over a shared log', () => {
	it('fills a new hub from the log, holding clients that join meanwhile', async () => {
		const { bus } = sharedBus();
		const a = manualProducer();
		const first = new Hub<number>('t', a.producer, bus, { replayCapacity: 10 });
		first.listen(() => {});
		a.emit(1, 'A');
		a.emit(2, 'B');
		// Another instance's hub starts later, with nothing of its own yet.
		const second = new Hub<number>('t', manualProducer().producer, bus, { replayCapacity: 10 });
		const client = connection();
		const reader = collect(client.stream);
		second.join(client, { lastEventId: null, history: 5 });
		expect(second.filling).toBe(true);
		expect(await reader.events()).toEqual([]);
		await second.ready();
		expect((await reader.events()).map((e) => [e.id, e.event])).toEqual([
			['101', 'A'],
			['102', 'B']
		]);
		a.emit(3, 'A');
		expect((await reader.events()).map((e) => e.id)).toEqual(['103']);
	});

	it('resumes a client that moves from another instance, with no gap and no duplicate', async () => {
		const { bus } = sharedBus();
		const a = manualProducer();
		const first = new Hub<number>('t', a.producer, bus, { replayCapacity: 3 });
		first.listen(() => {});
		for (let i = 1; i <= 6; i++) a.emit(i); // 101..106
		const second = new Hub<number>('t', manualProducer().producer, bus, { replayCapacity: 3 });
		second.listen(() => {});
		await second.ready(); // holds the newest three: 104..106
		const client = connection();
		const reader = collect(client.stream);
		// The client saw 102 elsewhere: 103 is only in the shared log.
		second.join(client, { lastEventId: 102 });
		a.emit(7);
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect((await reader.events()).map((e) => e.id)).toEqual(['103', '104', '105', '106', '107']);
	});

	it('starts afresh from the log after being idle while others published, with no gap', async () => {
		const { bus } = sharedBus();
		const a = manualProducer();
		const first = new Hub<number>('t', a.producer, bus, { replayCapacity: 10 });
		first.listen(() => {});
		a.emit(1); // 101
		const second = new Hub<number>('t', manualProducer().producer, bus, { replayCapacity: 10 });
		const unlisten = second.listen(() => {});
		await second.ready();
		a.emit(2); // 102, seen by the second hub too
		unlisten(); // idle: it no longer hears the bus
		for (let i = 3; i <= 6; i++) a.emit(i); // 103..106 while it is idle
		const client = connection();
		const reader = collect(client.stream);
		second.join(client, { lastEventId: 103 });
		await second.ready();
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect((await reader.events()).map((e) => e.id)).toEqual(['104', '105', '106']);
	});

	it('takes its snapshot from the log only while another instance produces the feed', async () => {
		const { bus, state } = sharedBus();
		const a = manualProducer();
		const first = new Hub<number>('t', a.producer, bus, { replayCapacity: 10 });
		const unlisten = first.listen(() => {});
		a.emit(1, 'A'); // 101
		a.emit(2, 'B'); // 102
		// Everyone leaves: the log's newest events are now what the feed was, not what it is.
		unlisten();
		state.producing = false;
		const b = manualProducer();
		const second = new Hub<number>('t', b.producer, bus, { replayCapacity: 10 });
		const fresh = connection();
		const freshReader = collect(fresh.stream);
		second.join(fresh, { lastEventId: null });
		const past = connection();
		const pastReader = collect(past.stream);
		second.join(past, { lastEventId: null, history: 5 });
		await second.ready();
		await new Promise((resolve) => setTimeout(resolve, 5));
		// No stale snapshot; history, asked for, is still the log's past.
		expect(await freshReader.events()).toEqual([]);
		expect((await pastReader.events()).map((e) => e.id)).toEqual(['101', '102']);
		// This hub's producer sends the current state, and that is what the client gets first.
		b.emit(3, 'A');
		expect((await freshReader.events()).map((e) => [e.id, e.data])).toEqual([['103', '3']]);
	});
});
