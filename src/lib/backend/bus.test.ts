import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus, type FeedMessage } from './bus';

describe('createMemoryBus', () => {
	it('numbers each topic on its own from idStart + 1 and delivers in order', () => {
		const bus = createMemoryBus({ idStart: 100 });
		const a: FeedMessage[] = [];
		const b: FeedMessage[] = [];
		bus.subscribe('a', (m) => a.push(m));
		bus.subscribe('b', (m) => b.push(m));
		bus.publish('a', 'message', 1);
		bus.publish('b', 'X', 2);
		bus.publish('a', 'message', 3);
		expect(a.map((m) => [m.id, m.data])).toEqual([
			[101, 1],
			[102, 3]
		]);
		expect(b).toEqual([{ id: 101, event: 'X', data: 2 }]);
	});

	it('drops what is published under a lease that is no longer held', () => {
		const bus = createMemoryBus();
		const seen = vi.fn();
		bus.subscribe('t', seen);
		bus.publish('t', 'message', 'kept', { held: true });
		bus.publish('t', 'message', 'dropped', { held: false });
		expect(seen).toHaveBeenCalledTimes(1);
		expect(seen).toHaveBeenCalledWith({ id: 1, event: 'message', data: 'kept' });
	});

	it('leads at once, lists the lease while held, and releases idempotently', () => {
		const bus = createMemoryBus();
		const stop = vi.fn();
		const release = bus.lead('t', (lease) => {
			expect(lease.held).toBe(true);
			return stop;
		});
		expect(bus.status()).toMatchObject({ kind: 'memory', state: 'ok', leases: ['t'] });
		release();
		release();
		expect(stop).toHaveBeenCalledTimes(1);
		expect(bus.status().leases).toEqual([]);
	});

	it('unsubscribes idempotently and keeps no log of its own', async () => {
		const bus = createMemoryBus();
		const seen = vi.fn();
		const unsubscribe = bus.subscribe('t', seen);
		unsubscribe();
		unsubscribe();
		bus.publish('t', 'message', 1);
		expect(seen).not.toHaveBeenCalled();
		expect(await bus.read('t', 0, 10)).toBeNull();
		expect(await bus.tail('t', 10)).toEqual([]);
	});
});
