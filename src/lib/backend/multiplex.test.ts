import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus } from './bus';
import { Hub, type Producer } from './hub';
import { SseConnection } from './sse/connection';
import { flushPending } from './fan-out';
import { collect } from './testing';
import { MultiplexChannel, multiplexEventName } from './multiplex';

/** A hub whose producer the test drives (`emit(event, data)`) and that sends `onStart` as it starts. */
function manualHub(topic: string, idStart: number, onStart: { event: string; data: unknown }[]) {
	let emit: ((event: string, data: unknown) => void) | null = null;
	const producer: Producer<unknown> = {
		start(fn) {
			emit = fn;
			for (const { event, data } of onStart) fn(event, data);
			return () => (emit = null);
		}
	};
	const hub = new Hub<unknown>(topic, producer, createMemoryBus({ idStart }), {
		replayCapacity: 4
	});
	return {
		hub,
		emit(event: string, data: unknown) {
			if (!emit) throw new Error(`${topic} is not running`);
			emit(event, data);
		}
	};
}

function setup() {
	const time = manualHub('time', 10, [{ event: 'message', data: 't0' }]);
	const stocks = manualHub('stocks', 40, [
		{ event: 'AAPL', data: 'a0' },
		{ event: 'MSFT', data: 'm0' }
	]);
	const onEmpty = vi.fn();
	const onReplay = vi.fn();
	const channel = new MultiplexChannel(
		[
			{ topic: 'time', hub: time.hub },
			{ topic: 'stocks', hub: stocks.hub, filter: (m) => m.event === 'AAPL' }
		],
		onEmpty,
		() => {},
		onReplay
	);
	return { time, stocks, channel, onEmpty, onReplay };
}

const connection = () => new SseConnection({ maxBufferBytes: 1 << 20 });

describe('multiplexEventName', () => {
	it('names unnamed events after the feed and prefixes named ones', () => {
		expect(multiplexEventName('time', 'message')).toBe('time');
		expect(multiplexEventName('stocks', 'AAPL')).toBe('stocks:AAPL');
	});
});

describe('MultiplexChannel', () => {
	it('sends every feed snapshot, then live events with composite ids', async () => {
		const { time, stocks, channel } = setup();
		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, null);
		// The producers sent their state as events on start (time 11; AAPL 41, MSFT 42).
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't0', id: 'time=11' },
			{ event: 'stocks:AAPL', data: 'a0', id: 'time=11;stocks=41' }
		]);
		time.emit('message', 't1');
		stocks.emit('MSFT', 'm1');
		stocks.emit('AAPL', 'a1');
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't1', id: 'time=12;stocks=42' },
			{ event: 'stocks:AAPL', data: 'a1', id: 'time=12;stocks=44' }
		]);
	});

	it('catches up every feed in the order the events happened, without gap or duplicate', async () => {
		const { time, stocks, channel, onReplay } = setup();
		const first = connection();
		channel.join(first, null); // time 11; stocks 41 (AAPL), 42 (MSFT)
		time.emit('message', 't1'); // time 12
		stocks.emit('AAPL', 'a1'); // stocks 43
		time.emit('message', 't2'); // time 13
		stocks.emit('MSFT', 'm1'); // stocks 44 (filtered out)
		stocks.emit('AAPL', 'a2'); // stocks 45
		time.emit('message', 't3'); // time 14

		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, 'time=12;stocks=43');
		time.emit('message', 't4'); // live, after the catch-up
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't2', id: 'time=13;stocks=43' },
			{ event: 'stocks:AAPL', data: 'a2', id: 'time=13;stocks=45' },
			{ event: 'time', data: 't3', id: 'time=14;stocks=45' },
			{ event: 'time', data: 't4', id: 'time=15;stocks=45' }
		]);
		expect(onReplay).toHaveBeenCalledTimes(1);
	});

	it('sends the snapshot of a feed whose position was evicted, and catches up the others', async () => {
		const { time, stocks, channel } = setup();
		channel.join(connection(), null);
		for (let i = 1; i <= 6; i++) stocks.emit('AAPL', `a${i}`); // 43..48; buffer keeps 45..48
		time.emit('message', 't1'); // time 12
		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, 'time=11;stocks=43');
		// AAPL's snapshot is its newest event itself, with its own id.
		expect(await reader.events()).toEqual([
			{ event: 'stocks:AAPL', data: 'a6', id: 'time=11;stocks=48' },
			{ event: 'time', data: 't1', id: 'time=12;stocks=48' }
		]);
	});

	it('sends the full snapshot for an id it does not recognise', async () => {
		const { time, channel } = setup();
		channel.join(connection(), null);
		time.emit('message', 't1');
		for (const id of ['garbage', 'time=x', 'time=5', 'time=99999;stocks=99999', '']) {
			const client = connection();
			const reader = collect(client.stream);
			channel.join(client, id);
			// In the order they happened: AAPL's quote at start, then the tick t1.
			expect(
				(await reader.events()).map((e) => [e.event, e.data]),
				id
			).toEqual([
				['stocks:AAPL', 'a0'],
				['time', 't1']
			]);
		}
	});

	it('sends `history` past events of each feed first, merged in the order they happened', async () => {
		const { time, stocks, channel } = setup();
		channel.join(connection(), null); // time 11 (t0); stocks 41 (a0), 42 (m0)
		time.emit('message', 't1'); // 12
		stocks.emit('AAPL', 'a1'); // 43
		time.emit('message', 't2'); // 13
		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, null, 2);
		expect((await reader.events()).map((e) => [e.data, e.id])).toEqual([
			['a0', 'stocks=41'],
			['t1', 'time=12;stocks=41'],
			['a1', 'time=12;stocks=43'],
			['t2', 'time=13;stocks=43']
		]);
	});

	it('writes the events of one turn to each client in one write', () => {
		const { time, stocks, channel } = setup();
		const client = connection();
		channel.join(client, null);
		const writes: number[] = [];
		const write = client.write.bind(client);
		client.write = (bytes) => {
			writes.push(bytes.byteLength);
			return write(bytes);
		};
		time.emit('message', 't1');
		stocks.emit('AAPL', 'a1');
		expect(writes).toEqual([]);
		flushPending();
		expect(writes).toHaveLength(1);
	});

	it('joins and leaves idempotently and stops listening after the last client', () => {
		const { time, stocks, channel, onEmpty } = setup();
		const a = connection();
		const b = connection();
		const leaveA = channel.join(a, null);
		channel.join(a, null);
		channel.join(b, null);
		expect(channel.size).toBe(2);
		expect(time.hub.size).toBe(1);
		expect(stocks.hub.size).toBe(1);
		leaveA();
		leaveA();
		expect(onEmpty).not.toHaveBeenCalled();
		channel.leave(b);
		channel.leave(b);
		expect(onEmpty).toHaveBeenCalledTimes(1);
		expect(time.hub.running).toBe(false);
		expect(stocks.hub.running).toBe(false);
	});
});
