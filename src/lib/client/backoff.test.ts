import { describe, expect, it } from 'vitest';
import { classifyFailure, DEFAULT_BACKOFF, parseRetryAfter, retryDelay } from './backoff';

describe('classifyFailure', () => {
	it('retries network errors, 5xx, 408 and 429', () => {
		for (const status of [undefined, 200, 500, 502, 503, 504, 408, 429]) {
			expect(classifyFailure(status), String(status)).toBe('retry');
		}
	});

	it('treats every other 4xx as fatal', () => {
		for (const status of [400, 401, 403, 404, 405, 409, 410, 413]) {
			expect(classifyFailure(status), String(status)).toBe('fatal');
		}
	});

	it('stops cleanly on 204, the contract signal for a finished stream', () => {
		expect(classifyFailure(204)).toBe('done');
	});
});

describe('retryDelay', () => {
	it('doubles the jitter window each attempt, above the server minimum', () => {
		const top = () => 0.999999;
		const schedule = [1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, DEFAULT_BACKOFF, top));
		expect(schedule).toEqual([3000, 4000, 6000, 10000, 18000, 30000]);
	});

	it('uses full jitter: random 0 gives the minimum, random 0.5 half the window', () => {
		expect(retryDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(2000);
		expect(retryDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(4000);
	});

	it('caps every delay at maxRetryMs (configurable)', () => {
		const policy = { ...DEFAULT_BACKOFF, maxRetryMs: 5000 };
		expect(retryDelay(20, policy, () => 0.9)).toBe(5000);
		expect(retryDelay(20, DEFAULT_BACKOFF, () => 0.9)).toBe(30000);
	});

	it('never goes below the server minimum, even above the cap', () => {
		const policy = { minRetryMs: 8000, baseRetryMs: 1000, maxRetryMs: 5000 };
		expect(retryDelay(1, policy, () => 0.5)).toBe(8000);
	});

	it('raises the floor for one attempt with Retry-After', () => {
		expect(retryDelay(1, DEFAULT_BACKOFF, () => 0, 7000)).toBe(7000);
	});
});

describe('parseRetryAfter', () => {
	it('reads seconds and HTTP dates', () => {
		expect(parseRetryAfter('5', 0)).toBe(5000);
		const now = Date.parse('2026-01-01T00:00:00Z');
		expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
	});

	it('ignores absent or malformed values', () => {
		expect(parseRetryAfter(null, 0)).toBeNull();
		expect(parseRetryAfter('soon', 0)).toBeNull();
	});
});
