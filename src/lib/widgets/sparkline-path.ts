/** The geometry of a sparkline as pure functions: values in, SVG path data out. */

/** Options of {@link sparklinePath}. */
export interface SparklineGeometry {
	width: number;
	height: number;
	/** Lower bound of the y axis. Default: the smallest value. */
	min?: number;
	/** Upper bound of the y axis. Default: the largest value. */
	max?: number;
	/** Points the x axis holds; fewer values sit at the right end. Default: the number of values. */
	capacity?: number;
	/** Space kept free at the top and bottom, in px, so the stroke is not cut. Default: 2. */
	inset?: number;
}

/** A line (gaps where a value is null) and the area under it. */
export interface SparklinePaths {
	line: string;
	area: string;
}

const fixed = (n: number) => Number(n.toFixed(2));
const isPoint = (v: number | null): v is number => v !== null && Number.isFinite(v);

/** Path data for `values`, oldest first; a `null` breaks the line. */
export function sparklinePath(
	values: readonly (number | null)[],
	geometry: SparklineGeometry
): SparklinePaths {
	const { width, height, inset = 2 } = geometry;
	const known = values.filter(isPoint);
	if (known.length === 0) return { line: '', area: '' };
	let min = geometry.min ?? Math.min(...known);
	let max = geometry.max ?? Math.max(...known);
	if (max - min < 1e-9) {
		// A flat series sits in the middle rather than on an edge.
		min -= 1;
		max += 1;
	}
	const capacity = Math.max(geometry.capacity ?? values.length, values.length, 2);
	const offset = capacity - values.length;
	const bottom = fixed(height);
	let line = '';
	let area = '';
	// The x of the open segment's newest point; null between segments.
	let end: number | null = null;
	const close = () => {
		if (end !== null) area += `L${end} ${bottom}Z`;
		end = null;
	};
	values.forEach((value, i) => {
		if (!isPoint(value)) return close();
		const x = fixed(((offset + i) / (capacity - 1)) * width);
		const clamped = Math.min(max, Math.max(min, value));
		const y = fixed(inset + (1 - (clamped - min) / (max - min)) * (height - 2 * inset));
		line += `${end === null ? 'M' : 'L'}${x} ${y}`;
		area += `${end === null ? `M${x} ${bottom}` : ''}L${x} ${y}`;
		end = x;
	});
	close();
	return { line, area };
}

/** At most `limit` values, evenly picked, always keeping the newest. */
export function downsample<T>(values: readonly T[], limit: number): T[] {
	if (values.length <= limit || limit < 2) return values.slice();
	const step = (values.length - 1) / (limit - 1);
	return Array.from({ length: limit }, (_, i) => values[Math.round(i * step)] as T);
}

/** Appends `value` and keeps only the newest `limit` entries (returns a new array). */
export function appendCapped<T>(values: readonly T[], value: T, limit: number): T[] {
	const next = values.length >= limit ? values.slice(values.length - limit + 1) : values.slice();
	next.push(value);
	return next;
}
