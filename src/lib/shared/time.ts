import type { TimeTick } from './contract';

/** The time feed's payload for an instant, truncated to the whole second (UTC). */
export function timeTick(epochMs: number): TimeTick {
	const whole = Math.floor(epochMs / 1000) * 1000;
	const iso = new Date(whole).toISOString();
	return { time: iso.slice(11, 19), iso, epoch_ms: whole };
}

/** Milliseconds from `epochMs` until the next whole second, so ticks land on second boundaries. */
export function msUntilNextSecond(epochMs: number): number {
	return 1000 - (epochMs % 1000);
}
