/**
 * Small statistics helpers: a millisecond latency histogram that merges across processes,
 * percentiles and medians.
 */

/** Latencies at or above this many milliseconds share the last bucket. */
export const HISTOGRAM_MAX_MS = 60_000;

/** A latency histogram with one bucket per whole millisecond, 0 … HISTOGRAM_MAX_MS. */
export class LatencyHistogram {
	constructor() {
		/** Counts per millisecond; the last bucket holds everything at or above the maximum. */
		this.buckets = new Uint32Array(HISTOGRAM_MAX_MS + 1);
		/** Number of recorded values. */
		this.count = 0;
		/** Values that were negative (a clock problem) and were clamped to 0. */
		this.negative = 0;
	}

	/** Records one latency in milliseconds. */
	record(/** @type {number} */ ms) {
		if (ms < 0) {
			this.negative++;
			ms = 0;
		}
		const i = Math.min(HISTOGRAM_MAX_MS, Math.round(ms));
		this.buckets[i] = (this.buckets[i] ?? 0) + 1;
		this.count++;
	}

	/** The non-empty buckets as `[ms, count]` pairs, small enough to send over IPC. */
	toSparse() {
		/** @type {[number, number][]} */
		const pairs = [];
		for (let ms = 0; ms < this.buckets.length; ms++) {
			const n = this.buckets[ms] ?? 0;
			if (n > 0) pairs.push([ms, n]);
		}
		return { pairs, negative: this.negative };
	}

	/** Adds a sparse histogram from another process. */
	addSparse(/** @type {{pairs: [number, number][], negative: number}} */ sparse) {
		for (const [ms, n] of sparse.pairs) {
			this.buckets[ms] = (this.buckets[ms] ?? 0) + n;
			this.count += n;
		}
		this.negative += sparse.negative;
	}

	/** The smallest latency (ms) at or below which `p` percent of values lie; null when empty. */
	percentile(/** @type {number} */ p) {
		if (this.count === 0) return null;
		const rank = Math.max(1, Math.ceil((p / 100) * this.count));
		let seen = 0;
		for (let ms = 0; ms < this.buckets.length; ms++) {
			seen += this.buckets[ms] ?? 0;
			if (seen >= rank) return ms;
		}
		return HISTOGRAM_MAX_MS;
	}
}

/** The median of the finite numbers in `values`; null when there are none. */
export function median(/** @type {(number | null | undefined)[]} */ values) {
	const xs = /** @type {number[]} */ (
		values.filter((v) => typeof v === 'number' && Number.isFinite(v))
	);
	if (xs.length === 0) return null;
	xs.sort((a, b) => a - b);
	const mid = Math.floor(xs.length / 2);
	const upper = xs[mid] ?? 0;
	return xs.length % 2 === 1 ? upper : ((xs[mid - 1] ?? 0) + upper) / 2;
}

/** `a / b`, or null when either is missing or `b` is 0. */
export function ratio(
	/** @type {number | null | undefined} */ a,
	/** @type {number | null | undefined} */ b
) {
	if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return null;
	return a / b;
}
