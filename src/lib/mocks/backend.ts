import {
	DEFAULTS,
	apiFailure,
	parseStockSymbols,
	seededRandom,
	type ApiFailure
} from '$lib/shared';
import { defaultConfig } from '$lib/backend/config';
import { Backend } from '$lib/backend/backend';
import type { SseConnection } from '$lib/backend/sse/connection';
import { scenarioTiming, type ScenarioName, type ScenarioTiming } from './scenarios';
import { createSystemSim, simulatedSampler } from './system-sim';

/** Options of the mock backend; each default is the contract's. */
export interface MockBackendOptions {
	/** The scenario to start in. Default `normal`. */
	scenario?: ScenarioName;
	/** Seed of every random choice (stock walk, system host, job ids, drops). Default: random. */
	seed?: number;
	/** The `retry:` of every stream. Default 2000. */
	retryMs?: number;
	/** Idle time before a `ping`. Default 15000. */
	heartbeatMs?: number;
	/** Running jobs allowed at once. Default 8. */
	maxTrainingJobs?: number;
	/** How long finished jobs are kept. Default 600000. */
	trainingTtlMs?: number;
	/** Symbols and starting prices. Default `AAPL:150,GOOGL:2800,MSFT:300`. */
	stockSymbols?: string;
	/** Origins that get CORS headers. Default none (same origin only). */
	allowedOrigins?: string[];
	/**
	 * Treat a request without Last-Event-ID that follows, within `retry` + 3 s, a stream the mock
	 * itself closed on the same URL as that stream's reconnect. Default false; the browser turns it
	 * on because Chromium's EventSource does not show its Last-Event-ID header to a service worker.
	 */
	inferReconnects?: boolean;
	/** Events each feed keeps for resuming. Default 512, as the server's `SSE_REPLAY_EVENTS`. */
	replayCapacity?: number;
}

/**
 * The mock server: the server's own `Backend` (hubs, replay, multiplexing, jobs, caps) on a
 * synthetic host, with no metrics, plus the scenario. Handlers (handlers.ts) are a thin layer on it.
 */
export class MockBackend {
	readonly seed: number;
	readonly inferReconnects: boolean;
	/** The feeds every handler serves. */
	readonly feeds: Backend;
	readonly #dropRandom: () => number;
	readonly #scenarioListeners = new Set<(name: ScenarioName) => void>();
	readonly #resumes = new Map<string, { id: string; at: number }>();
	#scenario: ScenarioName = 'normal';
	#timing: ScenarioTiming = scenarioTiming('normal');
	#downUntil = 0;

	constructor(options: MockBackendOptions = {}) {
		this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
		this.inferReconnects = options.inferReconnects ?? false;
		this.#dropRandom = seededRandom(this.seed + 2);
		const idRandom = seededRandom(this.seed + 3);
		const base = defaultConfig();
		this.feeds = new Backend({
			config: {
				...base,
				retryMs: options.retryMs ?? base.retryMs,
				heartbeatMs: options.heartbeatMs ?? base.heartbeatMs,
				maxTrainingJobs: options.maxTrainingJobs ?? base.maxTrainingJobs,
				trainingTtlMs: options.trainingTtlMs ?? base.trainingTtlMs,
				stockSymbols: parseStockSymbols(options.stockSymbols ?? DEFAULTS.stockSymbols),
				allowedOrigins: options.allowedOrigins ?? [],
				replayEvents: options.replayCapacity ?? base.replayEvents
			},
			sampler: simulatedSampler(createSystemSim(seededRandom(this.seed + 1)), () => Date.now()),
			random: seededRandom(this.seed),
			newJobId: () =>
				Array.from({ length: 32 }, () => Math.floor(idRandom() * 36).toString(36)).join(''),
			pace: {
				slowFactor: () => this.#timing.slowFactor,
				stockBurst: () => {
					const steps = this.#timing.burstStepsPerTick;
					return steps ? { steps, everyMs: this.#timing.burstEveryMs } : null;
				}
			},
			onStreamOpen: (connection) => this.#dropLater(connection)
		});
		this.setScenario(options.scenario ?? 'normal');
	}

	/** The current scenario. */
	get scenario(): ScenarioName {
		return this.#scenario;
	}

	/** Open streams. */
	get connections(): number {
		return this.feeds.streams.size;
	}

	/**
	 * Switches the scenario. Open streams are closed so that every client reconnects (with its
	 * Last-Event-ID) into the new scenario, as it would after a server restart.
	 */
	setScenario(name: ScenarioName): void {
		this.#scenario = name;
		this.#timing = scenarioTiming(name);
		this.#downUntil = this.#timing.downForMs > 0 ? Date.now() + this.#timing.downForMs : 0;
		this.feeds.streams.closeAll();
		for (const listener of this.#scenarioListeners) listener(name);
	}

	/** Listens to scenario switches (the dev panel); returns the removal. */
	onScenarioChange(listener: (name: ScenarioName) => void): () => void {
		this.#scenarioListeners.add(listener);
		return () => this.#scenarioListeners.delete(listener);
	}

	/** While the `down` scenario's outage lasts, its `503`; otherwise null. */
	outage(): ApiFailure | null {
		const left = this.#downUntil - Date.now();
		if (left <= 0) return null;
		return apiFailure(503, 'at_capacity', 'the server is at capacity; retry later', {
			'retry-after': String(Math.ceil(left / 1000))
		});
	}

	/** Records the last id a stream on `key` sent before the mock closed it (see `inferReconnects`). */
	rememberResume(key: string, id: string | null): void {
		if (this.inferReconnects && id !== null) this.#resumes.set(key, { id, at: Date.now() });
	}

	/** The id to resume `key` from, if a stream on it was closed by the mock a moment ago. */
	takeResume(key: string): string | null {
		const entry = this.#resumes.get(key);
		this.#resumes.delete(key);
		return entry && Date.now() - entry.at <= this.feeds.config.retryMs + 3000 ? entry.id : null;
	}

	/** Closes every stream and stops every timer. */
	dispose(): void {
		this.feeds.shutdown();
		this.#scenarioListeners.clear();
	}

	/** The `flaky` scenario: every stream is closed a few seconds after it opens. */
	#dropLater(connection: SseConnection): void {
		const range = this.#timing.dropAfterMs;
		if (!range) return;
		const [min, max] = range;
		const { clock } = this.feeds;
		clock.timeout(() => connection.close('end'), min + this.#dropRandom() * (max - min));
	}
}
