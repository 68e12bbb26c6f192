/**
 * The reconnect policy as pure functions: which failures are retried, and how long to wait.
 * Browsers give up for good on any non-200 answer; the stores retry what may heal.
 */
import { RETRY_MS } from '$lib/shared/wire';

/** The numbers the backoff schedule is computed from. */
export interface BackoffPolicy {
	/** Least delay, the contract's `retry:` (2000). */
	minRetryMs: number;
	/** Base of the exponential window, doubled each attempt (1000). */
	baseRetryMs: number;
	/** Cap of any delay (30000), unless `minRetryMs` is larger. */
	maxRetryMs: number;
}

/** The defaults the stores use. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
	minRetryMs: RETRY_MS,
	baseRetryMs: 1000,
	maxRetryMs: 30_000
};

/** What to do after a failed connection: retry later, give up (fatal), or stop cleanly. */
export type FailureAction = 'retry' | 'fatal' | 'done';

/**
 * Classifies a failed connection by its HTTP status (`undefined` = network error, no answer).
 * 204 is the contract's "nothing more to send" (a finished training job): stop without error.
 */
export function classifyFailure(status: number | undefined): FailureAction {
	if (status === undefined || status === 200) return 'retry';
	if (status === 204) return 'done';
	if (status >= 500 || status === 408 || status === 429) return 'retry';
	return 'fatal';
}

/**
 * The delay before retry number `attempt` (1-based): full jitter over a window that doubles
 * each attempt, above the server's minimum, capped. `extraMinMs` raises the floor for this
 * attempt only (a `Retry-After` answer).
 */
export function retryDelay(
	attempt: number,
	policy: BackoffPolicy,
	random: () => number,
	extraMinMs = 0
): number {
	const floor = Math.max(policy.minRetryMs, extraMinMs);
	const window = policy.baseRetryMs * 2 ** Math.max(0, attempt - 1);
	const jittered = Math.min(policy.maxRetryMs, floor + random() * window);
	return Math.round(Math.max(floor, jittered));
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into ms from `now`; null when absent or bad. */
export function parseRetryAfter(header: string | null, now: number): number | null {
	const trimmed = header?.trim();
	if (!trimmed) return null;
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const at = Date.parse(trimmed);
	return Number.isNaN(at) ? null : Math.max(0, at - now);
}
