/**
 * The two built servers the fault suites run against, and small readers of their state.
 */
import { startBuiltServer, startEndpointsServer, type Started } from '../../../support/processes';
import { readMetrics, sumMetric } from '../../server/app';

/** A way to start the built server: `direct` is `npm start` (server/index.js), `endpoints` plain `node build`. */
export interface ServerKind {
	name: 'direct' | 'endpoints';
	start(env?: Record<string, string>): Promise<Started>;
}

/** Both paths, for `describe.each`. */
export const SERVERS: ServerKind[] = [
	{ name: 'direct', start: (env) => startBuiltServer(env) },
	{ name: 'endpoints', start: (env) => startEndpointsServer(env) }
];

/** Starts a training job; its id and events path. */
export async function createJob(
	base: string,
	options: Record<string, number>
): Promise<{ id: string; events: string }> {
	const res = await fetch(`${base}/api/training`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(options)
	});
	if (res.status !== 201) throw new Error(`job not created: ${res.status} ${await res.text()}`);
	return (await res.json()) as { id: string; events: string };
}

/** How many events a job has sent (its newest progress: (epoch-1)*steps + step). */
export async function jobProgress(base: string, id: string): Promise<number> {
	const { jobs } = (await (await fetch(`${base}/api/training`)).json()) as {
		jobs: {
			id: string;
			progress: { epoch: number; step: number; steps_per_epoch: number } | null;
		}[];
	};
	const p = jobs.find((j) => j.id === id)?.progress;
	return p ? (p.epoch - 1) * p.steps_per_epoch + p.step : 0;
}

/** `/api/health`'s `connections`. */
export async function healthConnections(base: string): Promise<number> {
	const body = (await (await fetch(`${base}/api/health`)).json()) as { connections: number };
	return body.connections;
}

/** The figures of /metrics the fault suites watch. */
export async function streamMetrics(base: string): Promise<{
	connections: number;
	timers: number;
	producers: number;
	stalled: number;
	slow: number;
	closedByClient: number;
	raw: Map<string, number>;
}> {
	const raw = await readMetrics(base);
	const closed = (reason: string) => {
		let sum = 0;
		for (const [key, value] of raw) {
			if (
				key.startsWith('live_feeds_streams_closed_total{') &&
				key.includes(`reason="${reason}"`)
			) {
				sum += value;
			}
		}
		return sum;
	};
	return {
		connections: sumMetric(raw, 'live_feeds_connections'),
		timers: raw.get('live_feeds_timers_armed') ?? NaN,
		producers: raw.get('live_feeds_producers_running') ?? NaN,
		stalled: closed('stalled'),
		slow: closed('slow'),
		closedByClient: closed('client'),
		raw
	};
}
