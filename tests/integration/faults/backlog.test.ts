/**
 * Clients behind a big backlog, on real TCP connections against the built server (both paths
 * share one server and one fast job each, so the file waits once for the job's backlog).
 *
 * A client that stops reading is dropped
 * at the stall limit (SSE_STALL_MS) while healthy clients of the same job stream lose nothing.
 * The stalled client asks for a job's replay of 30,000 events (about 4.6 MB at once), more than
 * the kernel holds for one connection, so the server sees it back up at once: a smaller backlog
 * is absorbed by the server's socket send buffer, which Linux grows to about 2.8 MB whatever the
 * client's receive buffer (a 4 KiB SO_RCVBUF behind 5,000 events was dropped only after 21-31 s).
 * One client has a 4 KiB SO_RCVBUF (stalled-client.py; Node cannot set it), one the kernel's
 * defaults. The time to the drop and the bytes the kernel held are figures, never asserted.
 *
 * A client's connection is reset (RST) while that replay is being written to it: the server stays
 * healthy and keeps nothing of it (open streams and armed timers back to where they were, no stack
 * trace in the log), and healthy clients of the same job lose nothing.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Started } from '../../support/processes';
import { waitFor } from '../server/app';
import { recordFigures } from './lib/figures';
import { createJob, healthConnections, jobProgress, SERVERS, streamMetrics } from './lib/servers';
import { startStalledClient, type StalledClient } from './lib/stalled-client';
import { StreamClients } from './lib/stream-clients.js';

const STALL_MS = 1000;
const REPLAY_EVENTS = 30_000;

interface Setup {
	server: Started;
	clients: StreamClients;
	job: { id: string; events: string };
}

// Both servers start (and their jobs run) at once, so the file waits for one job, not two.
const setups = new Map<string, Promise<Setup>>();
const stalled: StalledClient[] = [];

async function setUp(kind: (typeof SERVERS)[number]): Promise<Setup> {
	const server = await kind.start({ SSE_STALL_MS: String(STALL_MS) });
	const clients = new StreamClients(1);
	// About 1,000 events a second for 100 s: a replay of its first 30 s is megabytes.
	const job = await createJob(server.url, {
		total_epochs: 100,
		steps_per_epoch: 1000,
		step_ms: 1,
		epoch_pause_ms: 0
	});
	const opened = await clients.open({
		port: server.port,
		path: job.events,
		count: 3,
		group: 'healthy'
	});
	if (opened.failed > 0)
		throw new Error(`healthy clients failed: ${JSON.stringify(opened.errors)}`);
	return { server, clients, job };
}

beforeAll(() => {
	for (const kind of SERVERS) {
		const setup = setUp(kind);
		setup.catch(() => {});
		setups.set(kind.name, setup);
	}
});
afterAll(async () => {
	for (const client of stalled) client.kill();
	for (const setup of setups.values()) {
		const done = await setup.catch(() => null);
		await done?.clients.dispose();
		await done?.server.stop('SIGKILL');
	}
});

describe.each(SERVERS)('a client that stops reading ($name path)', (kind) => {
	let server: Started;
	let clients: StreamClients;
	let job: { id: string; events: string };

	beforeAll(async () => {
		({ server, clients, job } = await setups.get(kind.name)!);
	});

	it.each([
		{ label: "the kernel's default buffers", rcvbuf: 0 },
		{ label: '4 KiB SO_RCVBUF', rcvbuf: 4096 }
	])(
		'is dropped at the stall limit ($label) while healthy clients lose nothing',
		async ({ label, rcvbuf }) => {
			const replayEvents = REPLAY_EVENTS;
			await waitFor(
				`the job to send ${replayEvents} events`,
				async () => (await jobProgress(server.url, job.id)) >= replayEvents,
				90_000
			);
			const behind = await jobProgress(server.url, job.id);
			const before = await streamMetrics(server.url);
			const healthyBefore = await clients.state('healthy');
			const client = startStalledClient({ port: server.port, path: job.events, rcvbuf });
			stalled.push(client);
			const stopped = await client.stopped;
			expect(stopped.status).toBe('HTTP/1.1 200 OK');

			const dropped = await waitFor(
				'the stalled client to be dropped',
				async () => {
					const now = await streamMetrics(server.url);
					return now.stalled + now.slow > before.stalled + before.slow ? now : null;
				},
				60_000
			);
			const dropMs = Date.now() - stopped.at;
			const drained = await client.drain();
			// The kernel's copy of the stream ends with the server's FIN or reset, never hangs.
			expect(['fin', 'reset']).toContain(drained.ending);

			// The healthy clients kept reading the same stream throughout: every id, in order.
			const healthy = await clients.waitEvents('healthy', healthyBefore.minEvents + 500, 30_000);
			expect(healthy.ok).toBe(true);
			expect(healthy.gaps).toBe(0);
			expect(healthy.dups).toBe(0);
			expect(healthy.endedByServer).toBe(0);
			expect(healthy.open).toBe(3);

			recordFigures('stall', `${kind.name}: ${label}`, {
				server: kind.name,
				sse_stall_ms: STALL_MS,
				sse_client_buffer_bytes: 262144,
				so_rcvbuf_requested: rcvbuf,
				so_rcvbuf_effective: stopped.rcvbuf,
				replay_events_behind: behind,
				reason: dropped.stalled > before.stalled ? 'stalled' : 'slow',
				drop_ms_after_client_stopped_reading: dropMs,
				bytes_held_by_kernel_for_client: drained.after_stop,
				bytes_read_before_stopping: stopped.received,
				ending_seen_by_client: drained.ending,
				healthy_clients: 3,
				healthy_gaps: healthy.gaps,
				healthy_dups: healthy.dups
			});
		},
		180_000
	);
});

const RESETS = 5;

/** Opens `path` with `Last-Event-ID`, takes the first chunk and stops reading; resolves with the socket. */
function openAndStop(
	port: number,
	path: string,
	lastEventId: string
): Promise<{ socket: net.Socket; received: () => number }> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1');
		let received = 0;
		socket.on('error', () => {});
		socket.once('connect', () =>
			socket.write(
				`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nLast-Event-ID: ${lastEventId}\r\n\r\n`
			)
		);
		socket.once('data', (chunk) => {
			received += chunk.length;
			if (!chunk.toString('latin1').startsWith('HTTP/1.1 200')) {
				reject(new Error(`not a stream: ${chunk.toString('latin1').slice(0, 80)}`));
			}
			socket.pause();
			resolve({ socket, received: () => received });
		});
		setTimeout(() => reject(new Error('no answer')), 10_000).unref();
	});
}

describe.each(SERVERS)('a reset mid-replay ($name path)', (kind) => {
	let setup: Setup;
	beforeAll(async () => {
		setup = await setups.get(kind.name)!;
		// Healthy clients of another feed, besides the job's.
		await setup.clients.open({
			port: setup.server.port,
			path: '/api/feeds/time',
			count: 1,
			group: 'time'
		});
	});

	it('leaves the server healthy, with no stream, timer or stack trace left behind', async () => {
		const { server, clients, job } = setup;
		await waitFor(
			`the job to send ${REPLAY_EVENTS} events`,
			async () => (await jobProgress(server.url, job.id)) >= REPLAY_EVENTS,
			90_000
		);
		const baseline = await streamMetrics(server.url);
		const baseConnections = await healthConnections(server.url);
		expect(baseConnections).toBe(4);
		const healthyBefore = await clients.state('healthy');

		const started = Date.now();
		const received: number[] = [];
		for (let i = 0; i < RESETS; i++) {
			const { socket, received: got } = await openAndStop(server.port, job.events, '1');
			await waitFor(
				'the server to hold the replaying stream',
				async () => (await healthConnections(server.url)) === baseConnections + 1
			);
			received.push(got());
			socket.resetAndDestroy();
		}
		// The same on the multiplexed stream's replay buffer, many at once.
		const feeds = await Promise.all(
			Array.from({ length: 20 }, () =>
				openAndStop(server.port, '/api/feeds?topics=time,stocks&history=500', 'time=1;stocks=1')
			)
		);
		for (const { socket } of feeds) socket.resetAndDestroy();

		const after = await waitFor('every reset stream to be gone', async () => {
			const now = await streamMetrics(server.url);
			return (await healthConnections(server.url)) === baseConnections &&
				now.connections === baseline.connections &&
				now.closedByClient >= baseline.closedByClient + RESETS + feeds.length
				? now
				: null;
		});
		const cleanMs = Date.now() - started;
		// Timers: the job's step, the producers and the one sweep; nothing per reset stream.
		await waitFor(
			'the armed timers to be back where they were',
			async () => (await streamMetrics(server.url)).timers <= baseline.timers
		);
		expect(after.connections).toBe(baseline.connections);

		const healthy = await clients.waitEvents('healthy', healthyBefore.minEvents + 500, 30_000);
		expect(healthy.ok).toBe(true);
		expect(healthy.gaps).toBe(0);
		expect(healthy.dups).toBe(0);
		expect(healthy.open).toBe(3);
		expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
		// A reset is a client going away: one line at most, never a stack trace.
		expect(server.output()).not.toMatch(/\n\s+at /);

		recordFigures('reset', kind.name, {
			server: kind.name,
			job_events_behind: await jobProgress(server.url, job.id),
			job_replay_resets: RESETS,
			multiplex_replay_resets: feeds.length,
			bytes_read_before_reset: received,
			connections_before: baseConnections,
			connections_after: await healthConnections(server.url),
			timers_before: baseline.timers,
			timers_after: (await streamMetrics(server.url)).timers,
			ms_until_all_cleaned_up: cleanMs,
			stack_traces_in_log: 0
		});
	}, 150_000);
});
