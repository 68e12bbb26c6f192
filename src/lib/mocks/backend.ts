import {
	DEFAULTS,
	createStockWalk,
	msUntilNextSecond,
	parseStockSymbols,
	seededRandom,
	timeTick,
	type StockQuote,
	type StockWalk,
	type SystemSample,
	type TimeTick
} from '$lib/shared';
import { ReplayFeed } from './feed';
import { scenarioTiming, type ScenarioName, type ScenarioTiming } from './scenarios';
import { createSystemSim } from './system-sim';
import { TrainingJobs } from './training-jobs';
import type { StreamSink } from './respond';

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
 * The mock server's state: one producer per feed (driven by the shared simulations), the
 * training jobs, the open streams and the scenario. Handlers (handlers.ts) are a thin layer on it.
 */
export class MockBackend {
	readonly seed: number;
	readonly retryMs: number;
	readonly heartbeatMs: number;
	readonly allowedOrigins: readonly string[];
	readonly inferReconnects: boolean;
	readonly symbols: readonly string[];
	readonly time: ReplayFeed<TimeTick>;
	readonly stocks: ReplayFeed<StockQuote>;
	readonly walk: StockWalk;
	readonly training: TrainingJobs;
	readonly #capacity: number;
	readonly #systems = new Map<number, ReplayFeed<SystemSample>>();
	readonly #streams = new Set<StreamSink>();
	readonly #dropRandom: () => number;
	readonly #startedMs = Date.now();
	readonly #scenarioListeners = new Set<(name: ScenarioName) => void>();
	#scenario: ScenarioName = 'normal';
	#timing: ScenarioTiming = scenarioTiming('normal');
	#downUntil = 0;
	#arrivals = 0;
	readonly #resumes = new Map<string, { id: string; at: number }>();
	readonly #order = () => ++this.#arrivals;

	constructor(options: MockBackendOptions = {}) {
		this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
		this.retryMs = options.retryMs ?? DEFAULTS.retryMs;
		this.heartbeatMs = options.heartbeatMs ?? DEFAULTS.heartbeatMs;
		this.allowedOrigins = options.allowedOrigins ?? [];
		this.inferReconnects = options.inferReconnects ?? false;
		this.#capacity = options.replayCapacity ?? 512;
		this.#dropRandom = seededRandom(this.seed + 2);
		this.walk = createStockWalk(
			parseStockSymbols(options.stockSymbols ?? DEFAULTS.stockSymbols),
			seededRandom(this.seed)
		);
		this.symbols = this.walk.symbols;
		this.time = this.#timeFeed();
		this.stocks = this.#stocksFeed();
		this.training = new TrainingJobs({
			now: () => Date.now(),
			random: seededRandom(this.seed + 3),
			maxRunning: options.maxTrainingJobs ?? DEFAULTS.maxTrainingJobs,
			ttlMs: options.trainingTtlMs ?? DEFAULTS.trainingTtlMs,
			slowFactor: () => this.#timing.slowFactor
		});
		this.setScenario(options.scenario ?? 'normal');
	}

	/** The current scenario. */
	get scenario(): ScenarioName {
		return this.#scenario;
	}

	/** Seconds since the backend started, for `/api/health`. */
	get uptimeS(): number {
		return Math.floor((Date.now() - this.#startedMs) / 1000);
	}

	/** Open streams, for `/api/health`. */
	get connections(): number {
		return this.#streams.size;
	}

	/**
	 * Switches the scenario. Open streams are closed so that every client reconnects (with its
	 * Last-Event-ID) into the new scenario, as it would after a server restart.
	 */
	setScenario(name: ScenarioName): void {
		this.#scenario = name;
		this.#timing = scenarioTiming(name);
		this.#downUntil = this.#timing.downForMs > 0 ? Date.now() + this.#timing.downForMs : 0;
		for (const sink of [...this.#streams]) sink.close();
		for (const listener of this.#scenarioListeners) listener(name);
	}

	/** Listens to scenario switches (the dev panel); returns the removal. */
	onScenarioChange(listener: (name: ScenarioName) => void): () => void {
		this.#scenarioListeners.add(listener);
		return () => this.#scenarioListeners.delete(listener);
	}

	/** While the `down` scenario's outage lasts, the ms left; otherwise 0. */
	downRemainingMs(): number {
		return Math.max(0, this.#downUntil - Date.now());
	}

	/** The system feed for one interval: one producer per distinct interval, as on the server. */
	system(intervalMs: number): ReplayFeed<SystemSample> {
		let feed = this.#systems.get(intervalMs);
		if (!feed) {
			const sim = createSystemSim(seededRandom(this.seed + 1 + intervalMs));
			const created = new ReplayFeed<SystemSample>(this.#capacity, this.#order);
			created.setProducer(
				this.#loop(
					() => intervalMs * this.#timing.slowFactor,
					() => created.publish(undefined, sim.sample(Date.now()))
				)
			);
			this.#systems.set(intervalMs, created);
			feed = created;
		}
		return feed;
	}

	/** Registers an open stream: counted for health, closed on a scenario switch, dropped when flaky. */
	track(sink: StreamSink): void {
		this.#streams.add(sink);
		sink.onClose(() => this.#streams.delete(sink));
		const drop = this.#timing.dropAfterMs;
		if (drop) {
			const [min, max] = drop;
			const timer = setTimeout(() => sink.close(), min + this.#dropRandom() * (max - min));
			sink.onClose(() => clearTimeout(timer));
		}
	}

	/** Records the last id a stream on `key` sent before the mock closed it (see `inferReconnects`). */
	rememberResume(key: string, id: string | null): void {
		if (this.inferReconnects && id !== null) this.#resumes.set(key, { id, at: Date.now() });
	}

	/** The id to resume `key` from, if a stream on it was closed by the mock a moment ago. */
	takeResume(key: string): string | null {
		const entry = this.#resumes.get(key);
		this.#resumes.delete(key);
		return entry && Date.now() - entry.at <= this.retryMs + 3000 ? entry.id : null;
	}

	/** Closes every stream and stops every timer. */
	dispose(): void {
		for (const sink of [...this.#streams]) sink.close();
		this.training.dispose();
		this.#scenarioListeners.clear();
	}

	#timeFeed(): ReplayFeed<TimeTick> {
		const feed = new ReplayFeed<TimeTick>(this.#capacity, this.#order);
		// Ticks land on whole seconds; slow stretches the gap by whole seconds.
		const delay = () => msUntilNextSecond(Date.now()) + (this.#timing.slowFactor - 1) * 1000;
		feed.setProducer(this.#loop(delay, () => feed.publish(undefined, timeTick(Date.now()))));
		return feed;
	}

	#stocksFeed(): ReplayFeed<StockQuote> {
		const feed = new ReplayFeed<StockQuote>(this.#capacity, this.#order);
		const step = () => {
			const quote = this.walk.step(Date.now());
			feed.publish(quote.symbol, quote);
		};
		let timer: ReturnType<typeof setTimeout> | undefined;
		const next = () => {
			const burst = this.#timing.burstStepsPerTick;
			const wait = burst
				? this.#timing.burstEveryMs
				: this.walk.nextDelayMs() * this.#timing.slowFactor;
			timer = setTimeout(() => {
				for (let i = 0; i < (burst ?? 1); i++) step();
				next();
			}, wait);
		};
		// No step at start: the snapshot on connect already carries every price.
		feed.setProducer({ start: next, stop: () => clearTimeout(timer) });
		return feed;
	}

	/** A producer that emits at once, then again after each `delay()`. */
	#loop(delay: () => number, emit: () => void) {
		let timer: ReturnType<typeof setTimeout> | undefined;
		const tick = () => {
			emit();
			timer = setTimeout(tick, delay());
		};
		return { start: tick, stop: () => clearTimeout(timer) };
	}
}
