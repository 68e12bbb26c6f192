import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CloseReason } from './sse/connection';

/** The server's Prometheus metrics, in a registry of their own (no global state to clash on reload). */
export interface LiveFeedsMetrics {
	registry: Registry;
	connections: Gauge<'feed'>;
	eventsSent: Counter<'feed'>;
	bytesSent: Counter<'feed'>;
	closed: Counter<'feed' | 'reason'>;
	slowDropped: Counter<'feed'>;
	replays: Counter<'feed'>;
	heartbeats: Counter;
	trainingJobs: Gauge<'state'>;
	producers: Gauge;
	timers: Gauge;
}

/** Creates the metrics; `collect` fills the gauges that are read on scrape. */
export function createMetrics(collect: {
	connectionsByFeed(): Map<string, number>;
	jobsByState(): Record<string, number>;
	producersRunning(): number;
	timersArmed(): number;
}): LiveFeedsMetrics {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
	const connections = new Gauge({
		name: 'live_feeds_connections',
		help: 'Open SSE streams per feed',
		labelNames: ['feed'] as const,
		registers: [registry],
		collect() {
			this.reset();
			for (const [feed, count] of collect.connectionsByFeed()) this.set({ feed }, count);
		}
	});
	const trainingJobs = new Gauge({
		name: 'live_feeds_training_jobs',
		help: 'Training jobs kept, by state',
		labelNames: ['state'] as const,
		registers: [registry],
		collect() {
			for (const [state, count] of Object.entries(collect.jobsByState()))
				this.set({ state }, count);
		}
	});
	return {
		registry,
		connections,
		trainingJobs,
		eventsSent: new Counter({
			name: 'live_feeds_events_sent_total',
			help: 'Events written to clients (one per client per event)',
			labelNames: ['feed'] as const,
			registers: [registry]
		}),
		bytesSent: new Counter({
			name: 'live_feeds_bytes_sent_total',
			help: 'Event bytes written to clients',
			labelNames: ['feed'] as const,
			registers: [registry]
		}),
		closed: new Counter({
			name: 'live_feeds_streams_closed_total',
			help: 'Streams ended, by reason (client, slow, end, shutdown)',
			labelNames: ['feed', 'reason'] as const,
			registers: [registry]
		}),
		slowDropped: new Counter({
			name: 'live_feeds_slow_clients_dropped_total',
			help: 'Clients dropped because they stopped reading',
			labelNames: ['feed'] as const,
			registers: [registry]
		}),
		replays: new Counter({
			name: 'live_feeds_replays_total',
			help: 'Reconnects served missed events from the replay buffer',
			labelNames: ['feed'] as const,
			registers: [registry]
		}),
		heartbeats: new Counter({
			name: 'live_feeds_heartbeats_total',
			help: 'Heartbeat pings written',
			registers: [registry]
		}),
		producers: new Gauge({
			name: 'live_feeds_producers_running',
			help: 'Feed producers running (zero when nobody listens)',
			registers: [registry],
			collect() {
				this.set(collect.producersRunning());
			}
		}),
		timers: new Gauge({
			name: 'live_feeds_timers_armed',
			help: 'Server timers armed (producers, heartbeat sweep, jobs)',
			registers: [registry],
			collect() {
				this.set(collect.timersArmed());
			}
		})
	};
}

/** Records a stream's end in the metrics. */
export function recordClose(metrics: LiveFeedsMetrics, feed: string, reason: CloseReason): void {
	metrics.closed.inc({ feed, reason });
	if (reason === 'slow') metrics.slowDropped.inc({ feed });
}
