/**
 * Connection state transitions as a pure reducer, and the text a UI shows for a state.
 * The live connection only dispatches these actions, so every sequence can be tested alone.
 */
import type { ConnectionError, ConnectionState } from './types';

/** Something that happened to the connection. */
export type ConnectionAction =
	/** A fresh start: the first subscriber, or `reconnect()` by hand. */
	| { type: 'connect' }
	/** The EventSource fired `open`: a success resets the retry count. */
	| { type: 'open' }
	/** An event arrived; `id` is its event id ('' when it had none). */
	| { type: 'event'; id: string; at: number }
	/** A try failed and another follows: by the browser (`nextRetryAt` null) or the store. */
	| { type: 'retry'; error: ConnectionError | null; nextRetryAt: number | null }
	/** A scheduled retry starts now (or early, on `online`). */
	| { type: 'retry-now' }
	/** Given up for good: a fatal answer. */
	| { type: 'fatal'; error: ConnectionError }
	/** Closed cleanly: a terminal event, a 204, `close()` or the last subscriber leaving. */
	| { type: 'closed' };

/** The state before anything happened: what SSR and the first render show. */
export function initialConnectionState(): ConnectionState {
	return {
		status: 'connecting',
		attempt: 0,
		nextRetryAt: null,
		lastEventId: null,
		lastEventAt: null,
		lastError: null
	};
}

/** Applies one action; returns the same object when nothing changes. */
export function transition(state: ConnectionState, action: ConnectionAction): ConnectionState {
	switch (action.type) {
		case 'connect':
		case 'open': {
			const status = action.type === 'open' ? 'open' : 'connecting';
			return { ...state, status, attempt: 0, nextRetryAt: null, lastError: null };
		}
		case 'event':
			return {
				...state,
				lastEventAt: action.at,
				lastEventId: action.id === '' ? state.lastEventId : action.id
			};
		case 'retry':
			if (state.status === 'closed') return state;
			return {
				...state,
				status: 'reconnecting',
				attempt: state.attempt + 1,
				nextRetryAt: action.nextRetryAt,
				lastError: action.error ?? state.lastError
			};
		case 'retry-now':
			return state.nextRetryAt === null ? state : { ...state, nextRetryAt: null };
		case 'fatal':
			return { ...state, status: 'closed', nextRetryAt: null, lastError: action.error };
		case 'closed':
			return state.status === 'closed' && state.nextRetryAt === null
				? state
				: { ...state, status: 'closed', nextRetryAt: null };
	}
}

/** True when no event (heartbeat included) arrived for `staleMs` since `since`. */
export function isStale(lastActivityAt: number, now: number, staleMs: number): boolean {
	return now - lastActivityAt >= staleMs;
}

/**
 * Short text for a connection: "live", "connecting", "reconnecting in 3s (attempt 2)",
 * "reconnecting (attempt 1)", "offline" or "offline: <reason>" when it gave up.
 */
export function describeConnection(state: ConnectionState, now: number): string {
	switch (state.status) {
		case 'open':
			return 'live';
		case 'connecting':
			return 'connecting';
		case 'reconnecting': {
			// No countdown without a scheduled try, or once it is due.
			const wait = state.nextRetryAt === null ? 0 : state.nextRetryAt - now;
			const countdown = wait > 0 ? `in ${Math.ceil(wait / 1000)}s ` : '';
			return `reconnecting ${countdown}(attempt ${state.attempt})`;
		}
		case 'closed':
			return state.lastError?.fatal ? `offline: ${state.lastError.message}` : 'offline';
	}
}
