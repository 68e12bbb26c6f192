/**
 * The Redis bus against a real redis-server started here (127.0.0.1, ephemeral port, stopped by
 * PID). Leases are short and passed as options; every wait is for a condition, never a duration.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from 'redis';
import type { FeedMessage, Lease } from '$lib/backend/bus';
import { startRedis, type StartedRedis } from '../../../tests/support/redis';
import { waitFor } from '../../../tests/integration/server/app';
import { createRedisBus, type RedisBus, type RedisBusOptions } from './redis-bus';

let redis: StartedRedis;
const buses: RedisBus[] = [];
let prefix = 0;

beforeAll(async () => {
	redis = await startRedis();
});

afterEach(async () => {
	await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

afterAll(async () => {
	await redis?.stop();
});

/** A bus on the test's Redis, its keys apart from every other test's, closed after the test. */
function bus(options: Partial<RedisBusOptions> = {}): RedisBus {
	const made = createRedisBus({
		url: redis.url,
		prefix: `t${prefix}:`,
		leaseMs: 400,
		onError: () => {},
		...options
	});
	buses.push(made);
	return made;
}

/** A plain client for poking at keys, closed when the test's scope ends. */
async function rawClient() {
	const raw = createClient({ url: redis.url });
	raw.on('error', () => {});
	await raw.connect();
	return Object.assign(raw, { [Symbol.asyncDispose]: () => raw.close() });
}

function collect<T = unknown>(from: RedisBus, topic: string): FeedMessage<T>[] {
	const seen: FeedMessage<T>[] = [];
	from.subscribe<T>(topic, (m) => seen.push(m));
	return seen;
}

/** Resolves once every subscription of `b` reads from Redis (its first XREAD is under way). */
async function subscribed(b: RedisBus, topic: string): Promise<void> {
	// A probe event published after the subscription is in place proves it: wait for it to arrive.
	const seen = collect(b, topic);
	await waitFor('the bus to be ok', () => b.status().state === 'ok');
	for (let i = 0; ; i++) {
		b.publish(topic, 'probe', i);
		const arrived = await waitFor('a probe', () => seen.length > 0, 500).catch(() => false);
		if (arrived) return;
	}
}

function ids(messages: FeedMessage[]): number[] {
	return messages.map((m) => m.id);
}

function contiguous(list: number[]): boolean {
	return list.every((id, i) => i === 0 || id === list[i - 1]! + 1);
}

describe('redis bus', () => {
	it('assigns one id sequence across two instances publishing at once', async () => {
		prefix++;
		const a = bus();
		const b = bus();
		await subscribed(a, 'feed');
		await subscribed(b, 'feed');
		const seenA = collect(a, 'feed');
		const seenB = collect(b, 'feed');
		for (let i = 0; i < 200; i++) {
			a.publish('feed', 'tick', { from: 'a', i });
			b.publish('feed', 'tick', { from: 'b', i });
		}
		await waitFor('400 events on both', () => seenA.length >= 400 && seenB.length >= 400);
		expect(ids(seenA)).toEqual(ids(seenB));
		expect(seenA).toEqual(seenB);
		expect(contiguous(ids(seenA))).toBe(true);
		expect(new Set(ids(seenA)).size).toBe(400);
		// Each instance's own events keep their order.
		const fromA = seenA.filter((m) => (m.data as { from: string }).from === 'a');
		expect(fromA.map((m) => (m.data as { i: number }).i)).toEqual([...Array(200).keys()]);
	});

	it('reads the shared log back with tail and read, and says when it no longer reaches', async () => {
		prefix++;
		const a = bus({ replayEvents: 10 });
		await waitFor('the bus to be ok', () => a.status().state === 'ok');
		a.publish('log', 'n', 0);
		const first = await waitFor('the first event', async () => (await a.tail('log', 1))[0]);
		for (let i = 1; i < 250; i++) a.publish('log', 'n', i);
		const newest = await waitFor('the last event', async () => {
			const [m] = await a.tail('log', 1);
			return m?.data === 249 ? m : null;
		});
		const last = newest.id;
		expect(last).toBe(first.id + 249);

		const tail = await a.tail('log', 3);
		expect(ids(tail)).toEqual([last - 2, last - 1, last]);
		expect(tail.map((m) => m.data)).toEqual([247, 248, 249]);
		expect(await a.read('log', last - 3, 100)).toEqual(tail);
		expect(await a.read('log', last, 100)).toEqual([]);
		// MAXLEN ~ trims whole nodes of 100 entries, keeping at least 10: the first ones are gone.
		expect(await a.read('log', first.id, 100)).toBeNull();
		// An id this topic never issued.
		expect(await a.read('log', last + 100, 100)).toBeNull();
		expect(await a.read('log', last - 3, 2)).toEqual(tail.slice(0, 2));
	});

	it('counts the events it never read when the stream moved past them', async () => {
		prefix++;
		const a = bus();
		await subscribed(a, 'skip');
		const seen = collect(a, 'skip');
		const last = (await a.tail('skip', 1))[0]!.id;
		// As if the stream had been trimmed past three events before this reader came back.
		await using raw = await rawClient();
		const add = (id: number) =>
			raw.sendCommand(['XADD', `t${prefix}:stream:skip`, `${id}-0`, 'e', 'n', 'd', '1', 't', '0']);
		await add(last + 1);
		await add(last + 5);
		await waitFor('both events', () => seen.length === 2);
		expect(ids(seen)).toEqual([last + 1, last + 5]);
		expect(a.status().skipped).toBe(3);
	});

	it('fences a leader whose lease was taken: its publishes never get an id', async () => {
		prefix++;
		// Renewals far apart: the instance goes on believing it leads, as one paused past its lease.
		const a = bus({ leaseMs: 120_000, renewMs: 60_000 });
		const seen = collect(a, 'fenced');
		let lease: Lease | null = null;
		a.lead('fenced', (l) => {
			lease = l;
			return () => {};
		});
		await waitFor('the lease', () => lease?.held);
		await subscribed(a, 'fenced');
		a.publish('fenced', 'ok', 1, lease!);
		await waitFor('the leader’s event', () => seen.some((m) => m.event === 'ok'));

		await using raw = await rawClient();
		await raw.set(`t${prefix}:lease:fenced`, 'someone-else', { PX: 60_000 });
		expect(lease!.held).toBe(true);
		for (let i = 0; i < 20; i++) a.publish('fenced', 'late', i, lease!);
		await waitFor('Redis to refuse them', () => a.status().fenced === 20);
		// A marker through the same log shows that nothing from the fenced leader got in.
		a.publish('fenced', 'marker', 1);
		await waitFor('the marker', () => seen.some((m) => m.event === 'marker'));
		expect(seen.filter((m) => m.event === 'late')).toEqual([]);
		expect(contiguous(ids(seen))).toBe(true);
	});

	it('stops the producer when a renewal finds the lease gone to another holder', async () => {
		prefix++;
		const a = bus({ leaseMs: 2000 });
		let lease: Lease | null = null;
		let running = 0;
		a.lead('lost', (l) => {
			lease = l;
			running++;
			return () => running--;
		});
		await waitFor('the lease', () => lease?.held);
		await using raw = await rawClient();
		await raw.set(`t${prefix}:lease:lost`, 'someone-else', { PX: 60_000 });
		await waitFor('the producer to stop', () => running === 0 && !lease!.held);
		expect(a.status().leases).toEqual([]);
	});

	it('hands the feed to another instance once the holder stops renewing', async () => {
		prefix++;
		// A holder that took the lease and died: nobody renews it.
		await using raw = await rawClient();
		await raw.set(`t${prefix}:lease:handover`, 'dead-holder', { NX: true, PX: 400 });
		const b = bus();
		let started = 0;
		b.lead('handover', () => {
			started++;
			return () => {};
		});
		await waitFor('the takeover', () => started === 1 && b.status().leases.includes('handover'));
		expect(await raw.get(`t${prefix}:lease:handover`)).toMatch(/:/);
	});

	it('runs each producer on one instance at a time and moves it when that one leaves', async () => {
		prefix++;
		const a = bus();
		const b = bus();
		const running = new Set<string>();
		const lead = (name: string, from: RedisBus) =>
			from.lead('one', () => {
				running.add(name);
				return () => running.delete(name);
			});
		const releaseA = lead('a', a);
		await waitFor('a to lead', () => running.has('a'));
		lead('b', b);
		// b tries once per renewal period, as a renews: three renewals by a mean b tried too.
		await using raw = await rawClient();
		let renewals = 0;
		let ttl = await raw.pTTL(`t${prefix}:lease:one`);
		await waitFor('three renewals by a', async () => {
			const next = await raw.pTTL(`t${prefix}:lease:one`);
			if (next > ttl) renewals++;
			ttl = next;
			expect(running.has('b')).toBe(false);
			return renewals >= 3;
		});
		expect([...running]).toEqual(['a']);
		releaseA();
		await waitFor('b to take over', () => running.has('b'));
		expect([...running]).toEqual(['b']);
	});

	it('recovers by itself after Redis restarts: no duplicate, no id reused, no crash', async () => {
		prefix++;
		const a = bus({ maxBackoffMs: 200 });
		const seen = collect<number>(a, 'restart');
		let n = 0;
		a.lead('restart', (lease) => {
			const timer = setInterval(() => a.publish('restart', 'n', n++, lease), 10);
			return () => clearInterval(timer);
		});
		await waitFor('events before', () => seen.length >= 20);
		const before = seen.length;
		await redis.restart();
		await waitFor(
			'the outage to be seen',
			() => a.status().state === 'down' || seen.length > before + 200
		);
		await waitFor('the bus to be ok again', () => a.status().state === 'ok');
		const resumedAt = seen.length;
		await waitFor('events after the restart', () => seen.length >= resumedAt + 20);
		const list = ids(seen);
		expect(new Set(list).size).toBe(list.length);
		expect(list.every((id, i) => i === 0 || id > list[i - 1]!)).toBe(true);
		// Payloads are never repeated either: an event is delivered once or (if Redis lost it) not at all.
		const data = seen.map((m) => m.data);
		expect(new Set(data).size).toBe(data.length);
		expect(a.status().errors).toBeGreaterThan(0);
		expect(a.status().leases).toEqual(['restart']);
	});

	it('says whether some instance produces a topic: while its lease is held, and not after', async () => {
		prefix++;
		const a = bus();
		const b = bus();
		await waitFor('the buses to be ok', () => [a, b].every((x) => x.status().state === 'ok'));
		expect(await b.hasProducer!('who')).toBe(false);
		const release = a.lead('who', () => () => {});
		await waitFor('a to hold the lease', () => a.status().leases.includes('who'));
		expect(await b.hasProducer!('who')).toBe(true);
		release();
		await waitFor('the lease to be given up', async () => !(await b.hasProducer!('who')));
	});

	it('logs an error reply once, and it does not hide the next outage from the log', async () => {
		prefix++;
		const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
		try {
			const a = createRedisBus({ url: redis.url, prefix: `t${prefix}:`, maxBackoffMs: 100 });
			buses.push(a);
			await waitFor('the bus to be ok', () => a.status().state === 'ok');
			await using raw = await rawClient();
			await raw.hSet(`t${prefix}:not-a-counter`, 'a', '1');
			for (let i = 0; i < 3; i++) {
				await expect(a.send(['INCR', `t${prefix}:not-a-counter`])).rejects.toThrow(/WRONGTYPE/);
			}
			const lines = () => warned.mock.calls.map((call) => String(call[0]));
			expect(lines().filter((line) => line.includes('WRONGTYPE'))).toHaveLength(1);
			expect(a.status().state).toBe('ok');
			// Now a real outage: Redis drops the bus's connections. It must be logged, then the return.
			await raw.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
			await waitFor('the return to be logged', () =>
				lines().some((line) => line.includes('connected again'))
			);
			const outage = lines().filter((l) => !l.includes('WRONGTYPE') && !l.includes('again'));
			expect(outage).toHaveLength(1);
		} finally {
			warned.mockRestore();
		}
	});
});
