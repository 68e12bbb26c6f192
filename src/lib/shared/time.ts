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

/**
 * The whole second a tick that fires at `now` stands for, when it was armed for the second
 * `armedFor` (`null` for the first tick: the current second). A timer fires a little early or
 * late, and flooring `now` would send :48 twice for a tick at :48.999 (issue 14, defect 6): so a
 * tick from half a second early to a second late stands for the second it was armed for. Outside
 * that window the clock itself moved (a blocked loop, a clock change) and `now` says which second
 * it is.
 */
export function tickSecond(armedFor: number | null, now: number): number {
	if (armedFor !== null && now >= armedFor - 500 && now < armedFor + 1000) return armedFor;
	return Math.floor(now / 1000) * 1000;
}
