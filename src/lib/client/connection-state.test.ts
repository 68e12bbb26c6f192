import { describe, expect, it } from 'vitest';
import {
	describeConnection,
	initialConnectionState,
	isStale,
	transition,
	type ConnectionAction
} from './connection-state';
import type { ConnectionState } from './types';

function run(actions: ConnectionAction[]): ConnectionState[] {
	const states: ConnectionState[] = [];
	let state = initialConnectionState();
	for (const action of actions) {
		state = transition(state, action);
		states.push(state);
	}
	return states;
}

const net = { message: 'network error', fatal: false };

describe('transition', () => {
	it('walks connect → open → reconnecting → open, resetting the attempt on open', () => {
		const states = run([
			{ type: 'connect' },
			{ type: 'open' },
			{ type: 'event', id: '7', at: 100 },
			{ type: 'retry', error: net, nextRetryAt: null },
			{ type: 'retry', error: { ...net, status: 503 }, nextRetryAt: 5000 },
			{ type: 'retry-now' },
			{ type: 'open' }
		]);
		expect(states.map((s) => [s.status, s.attempt, s.nextRetryAt])).toEqual([
			['connecting', 0, null],
			['open', 0, null],
			['open', 0, null],
			['reconnecting', 1, null],
			['reconnecting', 2, 5000],
			['reconnecting', 2, null],
			['open', 0, null]
		]);
		expect(states.at(-1)).toMatchObject({ lastEventId: '7', lastEventAt: 100, lastError: null });
	});

	it('keeps the last event id across events without one (heartbeats)', () => {
		const [, second] = run([
			{ type: 'event', id: '3', at: 1 },
			{ type: 'event', id: '', at: 2 }
		]);
		expect(second).toMatchObject({ lastEventId: '3', lastEventAt: 2 });
	});

	it('closes with the fatal error and its status', () => {
		const error = { message: 'HTTP 404', status: 404, fatal: true };
		const states = run([{ type: 'connect' }, { type: 'fatal', error }]);
		expect(states.map((s) => s.status)).toEqual(['connecting', 'closed']);
		expect(states[1]?.lastError).toEqual(error);
	});

	it('ignores a late retry after close, so a closed stream stays closed', () => {
		const states = run([
			{ type: 'open' },
			{ type: 'closed' },
			{ type: 'retry', error: net, nextRetryAt: 1 }
		]);
		expect(states.map((s) => s.status)).toEqual(['open', 'closed', 'closed']);
	});

	it('returns the same object when nothing changes', () => {
		const closed = transition(initialConnectionState(), { type: 'closed' });
		expect(transition(closed, { type: 'closed' })).toBe(closed);
		expect(transition(closed, { type: 'retry-now' })).toBe(closed);
	});
});

describe('describeConnection', () => {
	const base = initialConnectionState();
	it('names every status', () => {
		expect(describeConnection(base, 0)).toBe('connecting');
		expect(describeConnection({ ...base, status: 'open' }, 0)).toBe('live');
		expect(describeConnection({ ...base, status: 'closed' }, 0)).toBe('offline');
		expect(
			describeConnection(
				{ ...base, status: 'closed', lastError: { message: 'HTTP 404', status: 404, fatal: true } },
				0
			)
		).toBe('offline: HTTP 404');
	});

	it('counts down to the next retry in whole seconds', () => {
		const state = { ...base, status: 'reconnecting' as const, attempt: 2, nextRetryAt: 3000 };
		expect(describeConnection(state, 0)).toBe('reconnecting in 3s (attempt 2)');
		expect(describeConnection(state, 2500)).toBe('reconnecting in 1s (attempt 2)');
		expect(describeConnection(state, 3000)).toBe('reconnecting (attempt 2)');
		expect(describeConnection({ ...state, nextRetryAt: null }, 0)).toBe('reconnecting (attempt 2)');
	});
});

describe('isStale', () => {
	it('is stale from exactly the threshold on', () => {
		expect(isStale(0, 29_999, 30_000)).toBe(false);
		expect(isStale(0, 30_000, 30_000)).toBe(true);
	});
});
