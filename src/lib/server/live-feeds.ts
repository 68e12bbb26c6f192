import type { StockQuote, SystemSample, TimeTick, Topic } from '$lib/shared/contract';
import { createStockWalk, type StockWalk } from '$lib/shared/stocks';
import { createMemoryBus, type FeedBus } from './bus';
import { readConfig, type ServerConfig } from './config';
import { MuxChannel, type MuxSource } from './feeds/multiplex';
import { stocksProducer } from './feeds/stocks';
import { createSystemSampler, systemProducer, type SystemSampler } from './feeds/system';
import { timeProducer } from './feeds/time';
import { Hub } from './hub';
import { createMetrics, recordClose, type LiveFeedsMetrics } from './metrics';
import { StreamRegistry } from './sse/streams';
import { createClock, type Clock } from './timers';
import { JobStore } from './training/jobs';

/** Parts a test or an embedding app may replace. */
export interface LiveFeedsOptions {
	config?: ServerConfig;
	clock?: Clock;
	bus?: FeedBus;
	sampler?: SystemSampler;
	/** Random source of the stock walk (seed it for a repeatable walk). */
	random?: () => number;
}

/**
 * Everything one server process runs: the hubs with their producers, the multiplexed channels,
 * the training jobs, the open streams and the metrics. Create one per process (`getLiveFeeds`).
 */
export class LiveFeeds {
	readonly config: ServerConfig;
	readonly clock: Clock;
	readonly bus: FeedBus;
	readonly sampler: SystemSampler;
	readonly walk: StockWalk;
	readonly streams: StreamRegistry;
	readonly jobs: JobStore;
	readonly metrics: LiveFeedsMetrics;
	readonly time: Hub<TimeTick>;
	readonly stocks: Hub<StockQuote>;
	readonly startedAt: number;
	readonly #system = new Map<number, Hub<SystemSample>>();
	readonly #channels = new Map<string, MuxChannel>();

	constructor(options: LiveFeedsOptions = {}) {
		this.config = options.config ?? readConfig();
		this.clock = options.clock ?? createClock();
		this.bus = options.bus ?? createMemoryBus();
		this.sampler = options.sampler ?? createSystemSampler(this.clock);
		this.walk = createStockWalk(this.config.stockSymbols, options.random);
		this.startedAt = this.clock.now();
		this.metrics = createMetrics({
			connectionsByFeed: () => this.streams.countByFeed(),
			jobsByState: () => this.jobs.countByState(),
			producersRunning: () =>
				[this.time, this.stocks, ...this.#system.values()].filter((hub) => hub.running).length,
			timersArmed: () => this.clock.active
		});
		this.streams = new StreamRegistry(
			{
				retryMs: this.config.retryMs,
				heartbeatMs: this.config.heartbeatMs,
				clientBufferBytes: this.config.clientBufferBytes,
				maxConnections: this.config.maxConnections,
				maxConnectionsPerClient: this.config.maxConnectionsPerClient
			},
			this.clock,
			{
				closed: (feed, reason) => recordClose(this.metrics, feed, reason),
				pinged: (count) => this.metrics.heartbeats.inc(count)
			}
		);
		this.jobs = new JobStore(
			{ maxRunning: this.config.maxTrainingJobs, ttlMs: this.config.trainingTtlMs },
			this.clock
		);
		this.time = this.#hub('time', timeProducer(this.clock));
		this.stocks = this.#hub('stocks', stocksProducer(this.walk, this.clock));
	}

	/** The system hub for an interval; one per distinct interval, dropped when idle. */
	system(intervalMs: number): Hub<SystemSample> {
		let hub = this.#system.get(intervalMs);
		if (!hub) {
			const producer = systemProducer(this.sampler, intervalMs, this.clock, (error) =>
				console.error('[live-feeds] system sample failed:', error)
			);
			hub = this.#hub(`system:${intervalMs}`, producer, () => {
				// The default interval keeps its replay buffer; others would pile up one hub each.
				if (intervalMs !== 1000) this.#system.delete(intervalMs);
			});
			this.#system.set(intervalMs, hub);
		}
		return hub;
	}

	/** The shared channel for a set of feeds; clients asking for the same set share one. */
	channel(topics: Topic[], symbols: string[], intervalMs: number): MuxChannel {
		const key = `${topics.join(',')}|${symbols.join(',')}|${intervalMs}`;
		let channel = this.#channels.get(key);
		if (!channel) {
			const sources: MuxSource[] = topics.map((topic) => {
				if (topic === 'time') return { topic, hub: this.time as Hub<unknown> };
				if (topic === 'system') return { topic, hub: this.system(intervalMs) as Hub<unknown> };
				return {
					topic,
					hub: this.stocks as Hub<unknown>,
					filter: (message) => symbols.includes(message.event)
				};
			});
			channel = new MuxChannel(
				sources,
				() => this.#channels.delete(key),
				(clients, bytes) => this.#count('multiplex', clients, bytes),
				() => this.metrics.replays.inc({ feed: 'multiplex' })
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

	#hub<T>(feed: string, producer: Hub<T>['producer'], onIdle?: () => void): Hub<T> {
		const label = feed.split(':')[0]!;
		return new Hub<T>(feed, producer, this.bus, {
			replayCapacity: this.config.replayEvents,
			idStart: this.startedAt,
			onIdle,
			onReplay: () => this.metrics.replays.inc({ feed: label }),
			onFanOut: (clients, bytes) => this.#count(label, clients, bytes)
		});
	}

	#count(feed: string, clients: number, bytes: number): void {
		if (clients === 0) return;
		this.metrics.eventsSent.inc({ feed }, clients);
		this.metrics.bytesSent.inc({ feed }, bytes);
	}
}

const KEY = Symbol.for('live-feeds.server');

/**
 * The process-wide instance, kept on `globalThis` so Vite's hot reload reuses it instead of
 * stacking a second set of producers and timers.
 */
export function getLiveFeeds(): LiveFeeds {
	const store = globalThis as { [KEY]?: LiveFeeds };
	return (store[KEY] ??= new LiveFeeds());
}
