/** How the mock backend misbehaves, switchable at run time (`?scenario=…` or the dev panel). */
export const SCENARIOS = ['normal', 'burst', 'flaky', 'down', 'slow'] as const;

/** One scenario of the mock backend. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** A one-line description of each scenario, for the dev panel and the README. */
export const SCENARIO_DESCRIPTIONS: Record<ScenarioName, string> = {
	normal: 'every feed at its contract rate',
	burst: 'at least 200 stock events a second, for stress',
	flaky: 'every stream drops after a few seconds; clients reconnect and resume',
	down: '503 with Retry-After for a while, then recovery',
	slow: 'long gaps between events, to show staleness'
};

/** The timing knobs a scenario turns; the handlers read them at every tick, so a switch is live. */
export interface ScenarioTiming {
	/** Multiplies every feed's interval and every training step (slow). */
	slowFactor: number;
	/** When set, the stock walk takes this many steps every `burstEveryMs` instead of its own pace. */
	burstStepsPerTick: number | null;
	/** The burst tick, in ms. */
	burstEveryMs: number;
	/** When set, each stream is closed after a random time in this range, in ms (flaky). */
	dropAfterMs: readonly [number, number] | null;
	/** How long every API route answers 503 after the scenario is switched on (down). */
	downForMs: number;
}

/** Default length of the `down` outage. */
export const DOWN_FOR_MS = 15_000;

/** The timing of each scenario. */
export function scenarioTiming(name: ScenarioName): ScenarioTiming {
	const base: ScenarioTiming = {
		slowFactor: 1,
		burstStepsPerTick: null,
		burstEveryMs: 20,
		dropAfterMs: null,
		downForMs: 0
	};
	switch (name) {
		case 'burst':
			// 5 steps every 20 ms is 250 events a second, above the 200, without relying on
			// timers finer than the browser's 4 ms clamp.
			return { ...base, burstStepsPerTick: 5 };
		case 'flaky':
			return { ...base, dropAfterMs: [3000, 6000] };
		case 'down':
			return { ...base, downForMs: DOWN_FOR_MS };
		case 'slow':
			return { ...base, slowFactor: 6 };
		default:
			return base;
	}
}

/** Parses a scenario name, e.g. from `?scenario=`; anything unknown is `null`. */
export function parseScenario(raw: string | null | undefined): ScenarioName | null {
	return SCENARIOS.find((s) => s === raw) ?? null;
}
