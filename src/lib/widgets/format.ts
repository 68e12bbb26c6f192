/**
 * How the widgets write numbers: fixed decimals so figures do not jump in width, and "not
 * available" for anything the host could not measure (the contract's `null`), never a made-up 0.
 */

/** The text shown for a value the host cannot give. */
export const NOT_AVAILABLE = 'not available';

type Maybe = number | null | undefined;

function known(value: Maybe): value is number {
	return typeof value === 'number' && Number.isFinite(value);
}

/** `45.20%`, as in the classic example. */
export function formatPercent(value: Maybe): string {
	return known(value) ? `${value.toFixed(2)}%` : NOT_AVAILABLE;
}

/** `9876.54 / 23995.10 MB`, as in the classic example. */
export function formatMemory(usedMb: Maybe, totalMb: Maybe): string {
	return known(usedMb) && known(totalMb)
		? `${usedMb.toFixed(2)} / ${totalMb.toFixed(2)} MB`
		: NOT_AVAILABLE;
}

const RATE_UNITS = ['B/s', 'KB/s', 'MB/s', 'GB/s'] as const;

/** A network rate in bytes per second: `812 B/s`, `1.5 KB/s`, `12.3 MB/s` (1 KB = 1024 B). */
export function formatRate(bytesPerSecond: Maybe): string {
	if (!known(bytesPerSecond)) return NOT_AVAILABLE;
	let value = Math.max(0, bytesPerSecond);
	let unit = 0;
	while (value >= 1024 && unit < RATE_UNITS.length - 1) {
		value /= 1024;
		unit += 1;
	}
	return unit === 0 ? `${Math.round(value)} B/s` : `${value.toFixed(1)} ${RATE_UNITS[unit]}`;
}

/** The 1, 5 and 15 minute load averages: `0.52  0.61  0.70`. */
export function formatLoad(load: readonly number[] | null | undefined): string {
	return load && load.length > 0 && load.every(known)
		? load.map((value) => value.toFixed(2)).join('  ')
		: NOT_AVAILABLE;
}

/** Uptime as `3d 04h 05m`, `04h 05m` or `05m 09s`. */
export function formatUptime(seconds: Maybe): string {
	if (!known(seconds)) return NOT_AVAILABLE;
	const total = Math.max(0, Math.floor(seconds));
	const days = Math.floor(total / 86_400);
	const hours = Math.floor((total % 86_400) / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const pad = (n: number) => String(n).padStart(2, '0');
	if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m`;
	if (hours > 0) return `${pad(hours)}h ${pad(minutes)}m`;
	return `${pad(minutes)}m ${pad(total % 60)}s`;
}

/** A price with two decimals. */
export function formatPrice(price: Maybe): string {
	return known(price) ? price.toFixed(2) : NOT_AVAILABLE;
}

/** Which way a change went. */
export type Trend = 'up' | 'down' | 'flat';

/** The direction of a change, after rounding to cents (a `0.001` move is flat). */
export function trendOf(change: Maybe): Trend {
	if (!known(change) || Math.abs(change) < 0.005) return 'flat';
	return change > 0 ? 'up' : 'down';
}

/** A trend as a screen reader should hear it: `up`, `down` or `unchanged`. */
export function spokenTrend(trend: Trend): string {
	return trend === 'flat' ? 'unchanged' : trend;
}

/** A signed change with a real minus sign: `+0.23`, `−0.23`, `0.00`. */
export function formatChange(change: Maybe): string {
	if (!known(change)) return NOT_AVAILABLE;
	const trend = trendOf(change);
	const digits = Math.abs(change).toFixed(2);
	return trend === 'up' ? `+${digits}` : trend === 'down' ? `\u2212${digits}` : '0.00';
}

/** A training loss with the contract's four decimals. */
export function formatLoss(loss: Maybe): string {
	return known(loss) ? loss.toFixed(4) : NOT_AVAILABLE;
}

/** A duration: `850 ms`, `25.0 s`, `3 min 05 s`. */
export function formatDuration(ms: Maybe): string {
	if (!known(ms)) return NOT_AVAILABLE;
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	const seconds = Math.round(ms / 1000);
	return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** Clamps to 0–100 for bars; null stays null (an indeterminate bar). */
export function clampPercent(value: Maybe): number | null {
	return known(value) ? Math.min(100, Math.max(0, value)) : null;
}
