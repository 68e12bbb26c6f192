/** Rounds to `decimals` places, half away from zero; `-0` becomes `0`. */
export function round(value: number, decimals = 2): number {
	const factor = 10 ** decimals;
	const rounded = (Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor;
	return rounded === 0 ? 0 : rounded;
}
