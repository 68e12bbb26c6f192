/**
 * The server's metrics sink: Prometheus counters and gauges (prom-client) behind the core's
 * `MetricsSink`, so prom-client stays on the server.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Backend } from '$lib/backend/backend';
import type { MetricsSink } from '$lib/backend/metrics';

/** The server's Prometheus metrics, in a registry of their own (no global state to clash on reload). */
export interface BackendMetrics extends MetricsSink {
	registry: Registry;
}

/** Creates the metrics of `backend`; the gauges read it on scrape. */
export function createMetrics(backend: Backend): BackendMetrics {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
	new Gauge({
		name: 'live_feeds_connections',
		help: 'Open SSE streams per feed',
		labelNames: ['feed'] as const,
		registers: [registry],
		collect() {
			this.reset();
			for (const [feed, count] of backend.streams.countByFeed()) this.set({ feed }, count);
		}
	});
	new Gauge({
		name: 'live_feeds_training_jobs',
		help: 'Training jobs kept, by state',
		labelNames: ['state'] as const,
		registers: [registry],
		collect() {
			for (const [state, count] of Object.entries(backend.jobs.countByState()))
				this.set({ state }, count);
		}
	});
	const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
		new Counter<L>({ name, help, labelNames, registers: [registry] });
	const eventsSent = counter(
		'live_feeds_events_sent_total',
		'Events written to clients (one per client per event)',
		['feed']
	);
	const bytesSent = counter('live_feeds_bytes_sent_total', 'Event bytes written to clients', [
		'feed'
	]);
	const writes = counter(
		'live_feeds_writes_total',
		'Writes to client sockets (events of one turn leave in one write)',
		['feed']
	);
	const closed = counter(
		'live_feeds_streams_closed_total',
		'Streams ended, by reason (client, slow, stalled, end, shutdown)',
		['feed', 'reason']
	);
	const slowDropped = counter(
		'live_feeds_slow_clients_dropped_total',
		'Clients dropped because they stopped reading (over their buffer, or stalled)',
		['feed']
	);
	const replays = counter(
		'live_feeds_replays_total',
		'Reconnects served missed events from the replay buffer',
		['feed']
	);
	const heartbeats = counter('live_feeds_heartbeats_total', 'Heartbeat pings written', []);
	new Gauge({
		name: 'live_feeds_producers_running',
		help: 'Feed producers running (zero when nobody listens)',
		registers: [registry],
		collect() {
			this.set(backend.producersRunning);
		}
	});
	new Gauge({
		name: 'live_feeds_timers_armed',
		help: 'Server timers armed (producers, heartbeat sweep, jobs)',
		registers: [registry],
		collect() {
			this.set(backend.clock.active);
		}
	});
	return {
		registry,
		sent(feed, tally) {
			eventsSent.inc({ feed }, tally.deliveries);
			bytesSent.inc({ feed }, tally.bytes);
			writes.inc({ feed }, tally.writes);
		},
		replayed: (feed) => replays.inc({ feed }),
		closed(feed, reason) {
			closed.inc({ feed, reason });
			if (reason === 'slow' || reason === 'stalled') slowDropped.inc({ feed });
		},
		pinged: (count) => heartbeats.inc(count),
		scrape: async () => ({ contentType: registry.contentType, text: await registry.metrics() })
	};
}
