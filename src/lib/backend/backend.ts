import type { StockQuote, SystemSample, TimeTick, Topic } from '$lib/shared/contract';
import { createStockWalk, type StockWalk } from '$lib/shared/stocks';
import { createMemoryBus, type FeedBus } from './bus';
import type { ServerConfig } from './config';
import { MultiplexChannel, type MultiplexSource } from './multiplex';
import { stocksProducer } from './producers/stocks';
import { systemProducer, type SystemSampler } from './producers/system';
import { timeProducer } from './producers/time';
import { Hub } from './hub';
import { noMetrics, type MetricsSink } from './metrics';
import { StreamRegistry } from './sse/registry';
import type { SseConnection } from './sse/connection';
import { createClock, type Clock } from './timers';
import { JobStore, type JobLimits, type TrainingJobs } from './training/jobs';

/** How fast the producers run; the mock's scenarios turn it, read again whenever a producer starts. */
export interface FeedPace {
	/** Multiplies every producer's interval and every training step (the mock's `slow`). */
	slowFactor(): number;
	/** `steps` stock moves every `everyMs` instead of the walk's own pace (the mock's `burst`); null keeps it. */
	stockBurst(): { steps: number; everyMs: number } | null;
}

/** The contract's own pace. */
export const NORMAL_PACE: FeedPace = { slowFactor: () => 1, stockBurst: () => null };

/** Everything `Backend` runs on; the server (server/backend.ts) and the mock fill these in. */
export interface BackendOptions {
	config: ServerConfig;
	/** Reads the host (or simulates one). */
	sampler: SystemSampler;
	/** Makes the metrics sink once the feeds exist (its gauges read them). Default: `noMetrics`. */
	metrics?: (feeds: Backend) => MetricsSink;
	/** Default: real timers. */
	clock?: Clock;
	/** Default: the in-memory bus. */
	bus?: FeedBus;
	/** Random source of the stock walk (seed it for a repeatable walk). Default `Math.random`. */
	random?: () => number;
	/** Makes training job ids. Default: a random UUID without dashes. */
	newJobId?: () => string;
	/** Makes the training job store (Redis's, shared by instances). Default: this process's `JobStore`. */
	jobs?: (limits: JobLimits, clock: Clock) => TrainingJobs;
	/** Default `NORMAL_PACE`. */
	pace?: FeedPace;
	/** Called for every stream opened (the mock drops them in its `flaky` scenario). */
	onStreamOpen?: (connection: SseConnection) => void;
}

/**
 * Everything one backend runs: the hubs with their producers, the multiplexed channels, the
 * training jobs, the open streams and the metrics. Nothing here is Node-only, so the server and
 * the mock backend in the browser run the same code.
 */
export class Backend {
	readonly config: ServerConfig;
	readonly clock: Clock;
	readonly bus: FeedBus;
	readonly sampler: SystemSampler;
	readonly walk: StockWalk;
	readonly streams: StreamRegistry;
	readonly jobs: TrainingJobs;
	readonly metrics: MetricsSink;
	readonly pace: FeedPace;
	readonly time: Hub<TimeTick>;
	readonly stocks: Hub<StockQuote>;
	readonly startedAt: number;
	readonly #system = new Map<number, Hub<SystemSample>>();
	readonly #channels = new Map<string, MultiplexChannel>();

	constructor(options: BackendOptions) {
		this.config = options.config;
		this.clock = options.clock ?? createClock();
		this.startedAt = this.clock.now();
		this.bus = options.bus ?? createMemoryBus({ idStart: this.startedAt });
		this.sampler = options.sampler;
		this.pace = options.pace ?? NORMAL_PACE;
		this.walk = createStockWalk(this.config.stockSymbols, options.random);
		this.metrics = options.metrics?.(this) ?? noMetrics;
		this.streams = new StreamRegistry(
			{
				retryMs: this.config.retryMs,
				heartbeatMs: this.config.heartbeatMs,
				clientBufferBytes: this.config.clientBufferBytes,
				stallMs: this.config.stallMs,
				maxConnections: this.config.maxConnections,
				maxConnectionsPerClient: this.config.maxConnectionsPerClient
			},
			this.clock,
			{
				opened: (_feed, connection) => options.onStreamOpen?.(connection),
				closed: (feed, reason) => this.metrics.closed(feed, reason),
				pinged: (count) => this.metrics.pinged(count)
			}
		);
		const limits: JobLimits = {
			maxRunning: this.config.maxTrainingJobs,
			ttlMs: this.config.trainingTtlMs,
			slowFactor: () => this.pace.slowFactor(),
			onSent: (tally) => this.metrics.sent('training', tally)
		};
		this.jobs =
			options.jobs?.(limits, this.clock) ?? new JobStore(limits, this.clock, options.newJobId);
		this.time = this.hub(
			'time',
			timeProducer(this.clock, () => this.pace.slowFactor())
		);
		this.stocks = this.hub(
			'stocks',
			stocksProducer(this.walk, this.clock, () => {
				const burst = this.pace.stockBurst();
				if (burst) return { delayMs: burst.everyMs, steps: burst.steps };
				return { delayMs: this.walk.nextDelayMs() * this.pace.slowFactor(), steps: 1 };
			})
		);
	}

	/** Producers running now (zero when nobody listens). */
	get producersRunning(): number {
		return [this.time, this.stocks, ...this.#system.values()].filter((hub) => hub.running).length;
	}

	/** The system hub for an interval; one per distinct interval, dropped when idle. */
	system(intervalMs: number): Hub<SystemSample> {
		let hub = this.#system.get(intervalMs);
		if (!hub) {
			const producer = systemProducer(
				this.sampler,
				intervalMs,
				this.clock,
				(error) => console.error('[live-feeds] system sample failed:', error),
				() => this.pace.slowFactor()
			);
			hub = this.hub(`system:${intervalMs}`, producer, {
				// The default interval keeps its replay buffer; others would pile up one hub each.
				onIdle: () => {
					if (intervalMs !== 1000) this.#system.delete(intervalMs);
				}
			});
			this.#system.set(intervalMs, hub);
		}
		return hub;
	}

	/** The shared channel for a set of feeds; clients asking for the same set share one. */
	channel(topics: Topic[], symbols: string[], intervalMs: number): MultiplexChannel {
		const key = `${topics.join(',')}|${symbols.join(',')}|${intervalMs}`;
		let channel = this.#channels.get(key);
		if (!channel) {
			const sources: MultiplexSource[] = topics.map((topic) => {
				if (topic === 'time') return { topic, hub: this.time as Hub<unknown> };
				if (topic === 'system') return { topic, hub: this.system(intervalMs) as Hub<unknown> };
				return {
					topic,
					hub: this.stocks as Hub<unknown>,
					filter: (message) => symbols.includes(message.event)
				};
			});
			channel = new MultiplexChannel(
				sources,
				() => this.#channels.delete(key),
				(tally) => this.metrics.sent('multiplex', tally),
				() => this.metrics.replayed('multiplex')
			);
			this.#channels.set(key, channel);
		}
		return channel;
	}

	/** Takes the first readings that need a baseline (CPU load, network rates). */
	async prime(): Promise<void> {
		await this.sampler.sample().catch(() => null);
	}

	/** Refuses new streams, closes every open one with a jittered `retry:`, and stops all timers. */
	shutdown(): void {
		this.streams.shutdown();
		this.jobs.dispose();
	}

	/**
	 * A hub of this backend (its replay size, id start and metrics). `label` names the feed in the
	 * metrics; default: the topic up to its first `:`.
	 */
	hub<T>(
		topic: string,
		producer: Hub<T>['producer'],
		options: { label?: string; onIdle?: () => void } = {}
	): Hub<T> {
		const label = options.label ?? topic.split(':')[0]!;
		return new Hub<T>(topic, producer, this.bus, {
			replayCapacity: this.config.replayEvents,
			onIdle: options.onIdle,
			onReplay: () => this.metrics.replayed(label),
			onFanOut: (tally) => {
				if (tally.writes > 0) this.metrics.sent(label, tally);
			}
		});
	}
}
