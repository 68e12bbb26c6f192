/**
 * The server's metrics sink: Prometheus counters and gauges (prom-client) behind the core's
 * `MetricsSink`, so prom-client stays on the server.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Backend } from '$lib/backend/backend';
import type { BusStatus } from '$lib/backend/bus';
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
		help: "Training jobs kept, by state (the whole cluster's with Redis)",
		labelNames: ['state'] as const,
		registers: [registry],
		async collect() {
			for (const [state, count] of Object.entries(await backend.jobs.countByState()))
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
	busMetrics(registry, () => backend.bus.status());
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

/** The bus's gauges and counter in `registry`, read from `status` on every scrape. */
export function busMetrics(registry: Registry, status: () => BusStatus): void {
	new Gauge({
		name: 'live_feeds_bus_up',
		help: 'The feeds bus is reachable (1) or not (0), by kind (memory, redis)',
		labelNames: ['kind'] as const,
		registers: [registry],
		collect() {
			const now = status();
			this.reset();
			this.set({ kind: now.kind }, now.state === 'ok' ? 1 : 0);
		}
	});
	let counted = 0;
	new Counter({
		name: 'live_feeds_bus_errors_total',
		help: 'Failed bus operations (Redis unreachable, a command refused) since start',
		registers: [registry],
		collect() {
			const errors = status().errors;
			if (errors > counted) this.inc(errors - counted);
			counted = errors;
		}
	});
	let skipped = 0;
	new Counter({
		name: 'live_feeds_bus_skipped_total',
		help: 'Events this instance never read from Redis (trimmed before it read them, or lost by Redis)',
		registers: [registry],
		collect() {
			const now = (status() as { skipped?: number }).skipped ?? 0;
			if (now > skipped) this.inc(now - skipped);
			skipped = now;
		}
	});
	new Gauge({
		name: 'live_feeds_bus_lag_seconds',
		help: 'How long the newest event read from the bus took from publish to this instance',
		registers: [registry],
		collect() {
			this.set(status().lagMs / 1000);
		}
	});
	new Gauge({
		name: 'live_feeds_bus_leases_held',
		help: 'Producer leases this instance holds (1 per topic whose producer runs here)',
		labelNames: ['topic'] as const,
		registers: [registry],
		collect() {
			this.reset();
			for (const topic of status().leases) this.set({ topic }, 1);
		}
	});
}
