/**
 * `npm run soak`: a long run of the built server (server/index.js) that looks for leaks. Not part of CI
 * (tests/integration/faults/soak.test.ts runs a short version).
 *
 * 1. `--cycles` connect/disconnect cycles (default 100,000) over every stream path; then the
 *    server must have 0 connections, 0 producers and 0 armed timers, and its RSS after GC must be
 *    within `--rss-mb` (default 10) of what it was before the cycles.
 * 2. `--minutes` (default 10) with `--clients` (default 2,000) streams of the multiplexed feed:
 *    steady readers, `--stalled` clients that never read the multiplexed stream all along, as many
 *    more that never read a fast job's replay once it has 30,000 events (more than the kernel
 *    holds, so they are dropped at SSE_STALL_MS and replaced), and `--flapping` clients that disconnect and resume
 *    with Last-Event-ID every 0.5-3 s. Steady readers must lose nothing (no gap, no duplicate, no
 *    drop); flapping clients must resume gap-free. Then every stream closes and the same leak
 *    figures are read again.
 *
 * The server runs with `--expose-gc --import ./scripts/soak-gc.js` and LIVE_FEEDS_SOAK=1, so
 * SIGUSR2 runs a GC in it; RSS is read from /proc/<pid>/status. Figures go to `--out` (default
 * tests/integration/faults/results/soak.json). Exit code 1 when a check fails.
 *
 * Options: --cycles N --minutes M --clients N --stalled N --flapping N --rss-mb N --stall-ms N
 *          --leak-by rss|heap (the cycles' check: RSS, the default, or only the heap used after GC,
 *          for short runs whose warm-up cannot reach V8's young-generation plateau)
 *          --warmup-rounds N (default 30) --out FILE --quiet --paths 'PATH PATH …' (the cycles' paths, space-separated)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, killAllChildren, trackChild } from '../bench/lib/proc.js';
import { allocatorEnv } from '../server/allocator.js';
import { StreamClients } from '../tests/integration/faults/lib/stream-clients.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MULTIPLEX = '/api/feeds?topics=time,system,stocks';
const CYCLE_PATHS = [
	'/api/feeds/time',
	'/api/feeds/stocks?symbols=AAPL',
	'/api/feeds/system',
	'/api/feeds/system?interval_ms=700',
	'/api/feeds?topics=time,system,stocks',
	'/api/feeds?topics=stocks&symbols=MSFT'
];

const { values: args } = parseArgs({
	options: {
		cycles: { type: 'string', default: '100000' },
		minutes: { type: 'string', default: '10' },
		clients: { type: 'string', default: '2000' },
		stalled: { type: 'string', default: '100' },
		flapping: { type: 'string', default: '200' },
		'rss-mb': { type: 'string', default: '10' },
		'stall-ms': { type: 'string', default: '5000' },
		out: { type: 'string', default: `${ROOT}tests/integration/faults/results/soak.json` },
		'leak-by': { type: 'string', default: 'rss' },
		'warmup-rounds': { type: 'string', default: '30' },
		paths: { type: 'string', default: CYCLE_PATHS.join(' ') },
		quiet: { type: 'boolean', default: false }
	}
});
const CYCLES = Number(args.cycles);
const LEAK_BY = args['leak-by'] === 'heap' ? 'heap' : 'rss';
const PATHS = args.paths.split(' ').filter(Boolean);
const MINUTES = Number(args.minutes);
const CLIENTS = Number(args.clients);
const STALLED = Number(args.stalled);
const FLAPPING = Number(args.flapping);
const RSS_MB = Number(args['rss-mb']);
const STALL_MS = Number(args['stall-ms']);
const STEADY = CLIENTS - 2 * STALLED - FLAPPING;
/** V8's default semi-space ceiling on 64-bit hosts with this much memory, in MB. */
const SEMI_SPACE_MB = 16;
const log = (/** @type {string} */ line) => args.quiet || console.log(`[soak] ${line}`);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Starts server/index.js with the GC hook; resolves once /api/health answers. */
async function startServer() {
	const port = await freePort();
	const child = spawn(
		process.execPath,
		[
			'--expose-gc',
			// V8's young generation starts at 1 MB and, under this allocation rate, grows to its
			// ceiling (16 MB semi-spaces here) over the first tens of thousands of cycles, and GC
			// never gives it back. Started at that ceiling, the baseline already holds it, so what
			// RSS gains over the cycles is what the program keeps.
			`--min-semi-space-size=${SEMI_SPACE_MB}`,
			'--import',
			'./scripts/soak-gc.js',
			'server/index.js'
		],
		{
			cwd: ROOT,
			env: {
				...process.env,
				// As `npm start` runs it.
				...allocatorEnv(),
				HOST: '127.0.0.1',
				PORT: String(port),
				LIVE_FEEDS_SOAK: '1',
				MAX_CONNECTIONS_PER_CLIENT: String(CLIENTS * 2 + 1000),
				SSE_STALL_MS: String(STALL_MS),
				// Finished jobs go soon, so the end of the run can expect zero timers.
				TRAINING_TTL_MS: '2000'
			},
			stdio: ['ignore', 'pipe', 'pipe']
		}
	);
	trackChild(child);
	let output = '';
	child.stdout.on('data', (d) => (output += d));
	child.stderr.on('data', (d) => (output += d));
	const base = `http://127.0.0.1:${port}`;
	for (let i = 0; ; i++) {
		if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
		try {
			await (await fetch(`${base}/api/health`)).text();
			break;
		} catch {
			if (i > 150) throw new Error(`server did not start:\n${output}`);
			await sleep(200);
		}
	}
	return { child, port, base, output: () => output };
}

/** `/metrics` as name{labels} → value. */
async function metrics(/** @type {string} */ base) {
	const text = await (await fetch(`${base}/metrics`)).text();
	/** @type {Map<string, number>} */
	const values = new Map();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const at = line.lastIndexOf(' ');
		values.set(line.slice(0, at), Number(line.slice(at + 1)));
	}
	const sum = (/** @type {string} */ name, /** @type {string} */ label = '') => {
		let total = 0;
		for (const [key, value] of values) {
			if ((key === name || key.startsWith(`${name}{`)) && key.includes(label)) total += value;
		}
		return total;
	};
	return {
		connections: sum('live_feeds_connections'),
		producers: sum('live_feeds_producers_running'),
		timers: sum('live_feeds_timers_armed'),
		stalled: sum('live_feeds_streams_closed_total', 'reason="stalled"'),
		slow: sum('live_feeds_streams_closed_total', 'reason="slow"'),
		closed: sum('live_feeds_streams_closed_total')
	};
}

/** VmRSS of a process in bytes, from /proc/<pid>/status. */
function rssOf(/** @type {number} */ pid) {
	const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return match ? Number(match[1]) * 1024 : NaN;
}

/**
 * GC in the server (SIGUSR2), repeated until its RSS settles (two readings 1 s apart within
 * 64 KiB; at most 15 s). Returns the RSS from /proc and the heap used after the last GC.
 * @param {{ child: import('node:child_process').ChildProcess, output: () => string }} target
 */
async function afterGc(target) {
	let previous = NaN;
	let heapUsed = NaN;
	let heapTotal = NaN;
	let external = NaN;
	for (let i = 0; i < 15; i++) {
		target.child.kill('SIGUSR2');
		await sleep(1000);
		const lines = target.output().match(/\[soak-gc\] (\{.*\})/g);
		if (lines) {
			({ heapUsed, heapTotal, external } = JSON.parse(
				lines.at(-1)?.slice('[soak-gc] '.length) ?? '{}'
			));
		}
		const now = rssOf(/** @type {number} */ (target.child.pid));
		if (Math.abs(now - previous) < 64 * 1024) return { rss: now, heapUsed, heapTotal, external };
		previous = now;
	}
	return { rss: previous, heapUsed, heapTotal, external };
}

/** Waits (at most `ms`) until the server has no stream, no producer and no timer. */
async function waitIdle(/** @type {string} */ base, ms = 30_000) {
	const deadline = Date.now() + ms;
	let m = await metrics(base);
	while (Date.now() < deadline && (m.connections || m.producers || m.timers)) {
		await sleep(200);
		m = await metrics(base);
	}
	return m;
}

const MB = 1024 * 1024;
/** @type {Record<string, unknown>} */
const figures = { host: { node: process.version, cpus: os.cpus().length } };
/** @type {string[]} */
const failures = [];
const check = (/** @type {boolean} */ ok, /** @type {string} */ what) => {
	if (!ok) failures.push(what);
};

const server = await startServer();
const clients = new StreamClients(2);
const pid = /** @type {number} */ (server.child.pid);
try {
	// Warm-up at the same pace as the run, in rounds until neither RSS nor the V8 heap kept after GC
	// grows any more: the first tens of thousands of cycles grow RSS by about 30 MB that GC never
	// gives back and that stops growing there (it is the same after 20,000 cycles as after 60,000:
	// V8's and the allocator's caches, not a leak), so the baseline is taken on that plateau and
	// what the warm-up added is reported beside the run. Bounded: at most `--warmup-rounds`.
	const start = await afterGc(server);
	let before = start;
	const warmupRound = Math.min(2000, Math.max(500, CYCLES / 20));
	let warmup = 0;
	for (let round = 0; round < Number(args['warmup-rounds']) && warmup < CYCLES; round++) {
		await clients.cycles({ port: server.port, paths: PATHS, count: warmupRound, concurrency: 100 });
		warmup += warmupRound;
		await waitIdle(server.base);
		const now = await afterGc(server);
		const heapGrew = now.heapTotal - before.heapTotal;
		const rssGrew = now.rss - before.rss;
		before = now;
		if (round > 0 && heapGrew < MB && rssGrew < MB) break;
	}
	log(
		`baseline after ${warmup} warm-up cycles and GC: RSS ${(before.rss / MB).toFixed(1)} MB, heap ${(before.heapUsed / MB).toFixed(1)} MB`
	);
	if (CYCLES > 0) {
		const started = Date.now();
		const result = await clients.cycles({
			port: server.port,
			paths: PATHS,
			count: CYCLES,
			concurrency: 100
		});
		const ms = Date.now() - started;
		const idle = await waitIdle(server.base);
		const gcAfter = await afterGc(server);
		const rssAfter = gcAfter.rss;
		const rssBefore = before.rss;
		figures.cycles = {
			cycles: CYCLES,
			failed: result.failed,
			errors: result.errors,
			seconds: ms / 1000,
			cycles_per_s: Math.round(CYCLES / (ms / 1000)),
			connections_after: idle.connections,
			producers_after: idle.producers,
			timers_after: idle.timers,
			rss_before_mb: rssBefore / MB,
			rss_after_mb: rssAfter / MB,
			rss_growth_mb: (rssAfter - rssBefore) / MB,
			rss_limit_mb: RSS_MB,
			leak_checked_by: LEAK_BY,
			warmup_cycles: warmup,
			warmup_rss_growth_mb: (before.rss - start.rss) / MB,
			heap_total_before_mb: before.heapTotal / MB,
			heap_total_after_mb: gcAfter.heapTotal / MB,
			heap_used_before_mb: before.heapUsed / MB,
			heap_used_after_mb: gcAfter.heapUsed / MB,
			heap_used_growth_mb: (gcAfter.heapUsed - before.heapUsed) / MB,
			// Buffers and other memory outside the V8 heap that JS objects still hold.
			external_before_mb: before.external / MB,
			external_after_mb: gcAfter.external / MB
		};
		log(`cycles: ${JSON.stringify(figures.cycles)}`);
		check(result.failed === 0, `${result.failed} cycles failed`);
		check(!idle.connections && !idle.producers && !idle.timers, 'not idle after the cycles');
		if (LEAK_BY === 'rss') {
			check(rssAfter - rssBefore <= RSS_MB * MB, 'RSS grew past the limit over the cycles');
		}
		check(
			gcAfter.heapUsed - before.heapUsed <= RSS_MB * MB,
			'the heap used after GC grew past the limit over the cycles'
		);
	}

	if (MINUTES > 0) {
		const port = server.port;
		const mixedStart = Date.now();
		const mixedBefore = await afterGc(server);
		const rssMixedBefore = mixedBefore.rss;
		// Steady readers resume from a sentinel's id, so they count gaps from their first event.
		await clients.open({ port, path: MULTIPLEX, count: 1, group: 'sentinel' });
		await clients.waitEvents('sentinel', 4, 30_000);
		const [from] = await clients.lastIds('sentinel');
		const steadyOpened = await clients.open({
			port,
			path: MULTIPLEX,
			group: 'steady',
			lastEventIds: Array.from({ length: STEADY }, () => /** @type {string} */ (from))
		});
		check(steadyOpened.failed === 0, `${steadyOpened.failed} steady clients did not open`);

		/** A fast job: its replay (30,000+ events, ~4.6 MB) is more than the kernel holds for a client. */
		const newJob = async () => {
			const res = await fetch(`${server.base}/api/training`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({
					total_epochs: 100,
					steps_per_epoch: 1000,
					step_ms: 1,
					epoch_pause_ms: 0
				})
			});
			return /** @type {{id: string, events: string}} */ (await res.json());
		};
		const jobEvents = async (/** @type {string} */ id) => {
			const { jobs } = /** @type {{jobs: {id: string, state: string, progress: any}[]}} */ (
				await (await fetch(`${server.base}/api/training`)).json()
			);
			const job = jobs.find((j) => j.id === id);
			const p = job?.progress;
			return { state: job?.state, events: p ? (p.epoch - 1) * p.steps_per_epoch + p.step : 0 };
		};
		let job = await newJob();
		await clients.open({
			port,
			path: MULTIPLEX,
			count: STALLED,
			group: 'stalled-feed',
			paused: true
		});

		const deadline = mixedStart + MINUTES * 60_000;
		let flapIds = Array.from({ length: FLAPPING }, () => /** @type {string} */ (from));
		let round = 0;
		let flapGaps = 0;
		let flapDups = 0;
		let flapResumes = 0;
		let stalledOpened = 0;
		let stalledDroppedByServer = 0;
		let stalledRound = -1;
		const stalledBefore = await metrics(server.base);
		while (Date.now() < deadline) {
			round++;
			const group = `flap-${round}`;
			await clients.open({ port, path: MULTIPLEX, group, lastEventIds: flapIds });
			flapResumes += flapIds.length;
			// Stalled clients come in behind a job's replay; a finished job is kept for 2 s only.
			const status = await jobEvents(job.id);
			if (status.state !== 'running' && status.state !== 'complete') job = await newJob();
			else if (status.state === 'complete') job = await newJob();
			else if (status.events >= 30_000 && STALLED > 0) {
				if (stalledRound >= 0) {
					const s = await clients.state(`stalled-${stalledRound}`);
					stalledDroppedByServer += s.endedByServer;
					await clients.forget(`stalled-${stalledRound}`);
				}
				stalledRound = round;
				const opened = await clients.open({
					port,
					path: job.events,
					count: STALLED,
					group: `stalled-${round}`,
					paused: true
				});
				stalledOpened += opened.opened;
			}
			await sleep(500 + Math.random() * 2500);
			flapIds = await clients.lastIds(group);
			const s = await clients.state(group);
			flapGaps += s.gaps;
			flapDups += s.dups;
			await clients.forget(group);
			if (round % 20 === 0) {
				const m = await metrics(server.base);
				log(
					`${Math.round((Date.now() - mixedStart) / 1000)} s: ${m.connections} streams, ${m.stalled - stalledBefore.stalled} stalled drops, RSS ${(rssOf(pid) / MB).toFixed(1)} MB`
				);
			}
		}
		if (stalledRound >= 0) {
			const s = await clients.state(`stalled-${stalledRound}`);
			stalledDroppedByServer += s.endedByServer;
		}
		const steady = await clients.state('steady');
		const stalledFeed = await clients.state('stalled-feed');
		const end = await metrics(server.base);
		const rssLoaded = rssOf(pid);
		await clients.forget('steady');
		await clients.forget('sentinel');
		await clients.forget('stalled-feed');
		await clients.forget(`stalled-${stalledRound}`);
		await fetch(`${server.base}${job.events.replace('/events', '')}`, { method: 'DELETE' });
		const idle = await waitIdle(server.base, 60_000);
		const mixedAfter = await afterGc(server);
		const rssAfter = mixedAfter.rss;
		figures.mixed = {
			minutes: (Date.now() - mixedStart) / 60_000,
			clients: CLIENTS,
			steady: STEADY,
			stalled_at_a_time: STALLED,
			flapping: FLAPPING,
			sse_stall_ms: STALL_MS,
			steady_events: steady.events,
			steady_gaps: steady.gaps,
			steady_dups: steady.dups,
			steady_dropped_by_server: steady.endedByServer,
			flap_rounds: round,
			flap_resumes: flapResumes,
			flap_gaps: flapGaps,
			flap_dups: flapDups,
			stalled_feed_clients: STALLED,
			stalled_feed_dropped_by_server: stalledFeed.endedByServer,
			stalled_job_clients_opened: stalledOpened,
			stalled_job_clients_dropped_by_server: stalledDroppedByServer,
			server_stalled_drops: end.stalled - stalledBefore.stalled,
			server_slow_drops: end.slow - stalledBefore.slow,
			rss_loaded_mb: rssLoaded / MB,
			rss_before_mb: rssMixedBefore / MB,
			rss_after_mb: rssAfter / MB,
			rss_growth_mb: (rssAfter - rssMixedBefore) / MB,
			heap_used_before_mb: mixedBefore.heapUsed / MB,
			heap_used_after_mb: mixedAfter.heapUsed / MB,
			heap_used_growth_mb: (mixedAfter.heapUsed - mixedBefore.heapUsed) / MB,
			connections_after: idle.connections,
			producers_after: idle.producers,
			timers_after: idle.timers
		};
		log(`mixed: ${JSON.stringify(figures.mixed)}`);
		check(steady.gaps === 0 && steady.dups === 0, 'steady readers saw gaps or duplicates');
		check(steady.endedByServer === 0, 'steady readers were dropped');
		check(flapGaps === 0 && flapDups === 0, 'flapping clients resumed with gaps or duplicates');
		check(!idle.connections && !idle.producers && !idle.timers, 'not idle after the mixed run');
		// 2,000 streams' buffers stay in the allocator once freed, so after the mixed run the leak
		// check is the heap used after GC; its RSS is reported.
		check(
			mixedAfter.heapUsed - mixedBefore.heapUsed <= RSS_MB * MB,
			'the heap used after GC grew past the limit over the mixed run'
		);
	}
	check(!/\n\s+at /.test(server.output()), 'a stack trace in the server log');
	const gcLines = server.output().match(/\[soak-gc\].*/g) ?? [];
	figures.memory_after_each_gc = gcLines.map((line) => JSON.parse(line.slice('[soak-gc] '.length)));
} finally {
	await clients.dispose();
	server.child.kill('SIGTERM');
	await new Promise((resolve) => {
		const timer = setTimeout(resolve, 5000);
		server.child.once('exit', () => {
			clearTimeout(timer);
			resolve(undefined);
		});
	});
	killAllChildren();
}
figures.failures = failures;
figures.measured_at = new Date().toISOString();
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(figures, null, '\t') + '\n');
log(failures.length ? `FAILED: ${failures.join('; ')}` : 'passed');
process.exitCode = failures.length ? 1 : 0;
