import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus } from './bus';
import { Hub, type Producer } from './hub';
import { SseConnection } from './sse/connection';
import { collect } from './testing';
import { MultiplexChannel, muxEventName } from './multiplex';

/** A hub whose producer the test drives: `emit(event, data)`. */
function manualHub(topic: string, idStart: number, snapshot: { event: string; data: unknown }[]) {
	let emit: ((event: string, data: unknown) => void) | null = null;
	const producer: Producer<unknown> = {
		start(fn) {
			emit = fn;
			return () => (emit = null);
		},
		snapshot: () => snapshot
	};
	const hub = new Hub<unknown>(topic, producer, createMemoryBus(), { replayCapacity: 4, idStart });
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

describe('muxEventName', () => {
	it('names unnamed events after the feed and prefixes named ones', () => {
		expect(muxEventName('time', 'message')).toBe('time');
		expect(muxEventName('stocks', 'AAPL')).toBe('stocks:AAPL');
	});
});

describe('MultiplexChannel', () => {
	it('sends every feed snapshot, then live events with composite ids', async () => {
		const { time, stocks, channel } = setup();
		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, null);
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't0' },
			{ event: 'stocks:AAPL', data: 'a0', id: 'time=10;stocks=40' }
		]);
		time.emit('message', 't1');
		stocks.emit('MSFT', 'm1');
		stocks.emit('AAPL', 'a1');
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't1', id: 'time=11;stocks=40' },
			{ event: 'stocks:AAPL', data: 'a1', id: 'time=11;stocks=42' }
		]);
	});

	it('catches up every feed in the order the events happened, without gap or duplicate', async () => {
		const { time, stocks, channel, onReplay } = setup();
		const first = connection();
		channel.join(first, null);
		time.emit('message', 't1'); // time 11
		stocks.emit('AAPL', 'a1'); // stocks 41
		time.emit('message', 't2'); // time 12
		stocks.emit('MSFT', 'm1'); // stocks 42 (filtered out)
		stocks.emit('AAPL', 'a2'); // stocks 43
		time.emit('message', 't3'); // time 13

		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, 'time=11;stocks=41');
		time.emit('message', 't4'); // live, after the catch-up
		expect(await reader.events()).toEqual([
			{ event: 'time', data: 't2', id: 'time=12;stocks=41' },
			{ event: 'stocks:AAPL', data: 'a2', id: 'time=12;stocks=43' },
			{ event: 'time', data: 't3', id: 'time=13;stocks=43' },
			{ event: 'time', data: 't4', id: 'time=14;stocks=43' }
		]);
		expect(onReplay).toHaveBeenCalledTimes(1);
	});

	it('sends the snapshot of a feed whose position was evicted, and catches up the others', async () => {
		const { time, stocks, channel } = setup();
		channel.join(connection(), null);
		for (let i = 1; i <= 6; i++) stocks.emit('AAPL', `a${i}`); // 41..46; buffer keeps 43..46
		time.emit('message', 't1');
		const client = connection();
		const reader = collect(client.stream);
		channel.join(client, 'time=10;stocks=41');
		// AAPL's snapshot is its newest event itself, with its own id.
		expect(await reader.events()).toEqual([
			{ event: 'stocks:AAPL', data: 'a6', id: 'time=10;stocks=46' },
			{ event: 'time', data: 't1', id: 'time=11;stocks=46' }
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
			expect(
				(await reader.events()).map((e) => e.event),
				id
			).toEqual(['time', 'stocks:AAPL']);
		}
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
