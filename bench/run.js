/**
 * `npm run bench`: the Live Feeds server (its direct path and its endpoints path) against a naive
 * SSE server, better-sse and a bare `res.write` loop, side by side, under the same load, on this
 * machine; then the dashboard in Chromium when a build exists.
 * Writes bench/results/<date>.json and the tables in BENCHMARKS.md. See bench/README.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
	cpSync,
	existsSync,
	readdirSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatorEnv } from '../server/allocator.js';
import { USAGE, parseArgs } from './lib/args.js';
import { LoadGenerator } from './lib/loadgen.js';
import { killAllChildren, readMachineCpu, sleep } from './lib/proc.js';
import { renderMarkdown } from './lib/report.js';
import { summarize } from './lib/summary.js';
import { summarizeProfileDirs } from './lib/profile-summary.js';
import { STREAM_PATH, measure } from './lib/scenario.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = path.join(ROOT, 'bench', 'results');
const TMP = path.join(RESULTS, 'tmp');

// Raise the open-file limit by re-running through bash, since Node cannot call setrlimit itself.
// Root here may only raise the soft limit up to the hard one (no CAP_SYS_RESOURCE), so fall back.
if (!process.env.BENCH_ULIMIT_DONE) {
	const script = 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
	const result = spawnSync(
		'bash',
		[
			'-c',
			script,
			process.execPath,
			...process.execArgv,
			fileURLToPath(import.meta.url),
			...process.argv.slice(2)
		],
		{ stdio: 'inherit', env: { ...process.env, BENCH_ULIMIT_DONE: '1' } }
	);
	process.exit(result.status ?? 1);
}

// Every client comes from 127.0.0.1: lift Live Feeds' connection limits out of the way.
const LIVE_FEEDS_ENV = { MAX_CONNECTIONS: '1000000', MAX_CONNECTIONS_PER_CLIENT: '1000000' };
// Live Feeds has no stream that carries nothing but heartbeats: the nearest is the system feed
// at its longest interval (one sample per 10 s), which also makes heartbeats unnecessary.
const LIVE_FEEDS_IDLE = '/api/feeds/system?interval_ms=10000';

/** @type {Record<string, import('./lib/proc.js').ServerSpec>} */
const SERVERS = {
	a: {
		key: 'a',
		name: 'Live Feeds, direct path (server/index.js)',
		entry: path.join(ROOT, 'server', 'index.js'),
		// As `npm start` runs it.
		env: { ...allocatorEnv(), ...LIVE_FEEDS_ENV },
		paths: { idle: LIVE_FEEDS_IDLE }
	},
	'a-endpoints': {
		key: 'a-endpoints',
		name: 'Live Feeds, endpoints path (build/index.js)',
		entry: path.join(ROOT, 'build', 'index.js'),
		env: LIVE_FEEDS_ENV,
		paths: { idle: LIVE_FEEDS_IDLE }
	},
	b: {
		key: 'b',
		name: 'naive (interval per connection)',
		entry: path.join(ROOT, 'bench', 'servers', 'naive.js')
	},
	c: {
		key: 'c',
		name: 'better-sse channels',
		entry: path.join(ROOT, 'bench', 'servers', 'better-sse.js'),
		paths: { idle: '/api/idle' }
	},
	e: {
		key: 'e',
		name: 'bare res.write loop',
		entry: path.join(ROOT, 'bench', 'servers', 'bare.js'),
		paths: { idle: '/api/idle' }
	}
};

/** The streams every client opens, per scenario (a server's `paths` override the default). */
const SCENARIOS = {
	/** The dashboard's multiplexed stream: time 1/s, system 1/s, a stock move every 0.5–1.5 s. */
	multiplex: STREAM_PATH,
	/** The stock feed alone: one event per move, nothing to coalesce. */
	stocks: '/api/feeds/stocks',
	/** Heartbeats only, or the nearest thing a server has. */
	idle: '/api/idle'
};

/** The limits that bound how many streams this machine can hold, read from /proc. */
function machineInfo() {
	const limits = readFileSync('/proc/self/limits', 'utf8');
	const nofile = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
	const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
		.trim()
		.split(/\s+/)
		.map(Number);
	const cpus = os.cpus();
	return {
		cores: cpus.length,
		cpuModel: cpus[0]?.model ?? 'unknown',
		memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		platform: `${os.type()} ${os.release()} ${os.arch()}`,
		openFilesSoft: Number(nofile?.[1] ?? 0),
		openFilesHard: Number(nofile?.[2] ?? 0),
		ephemeralPorts: (range[1] ?? 0) - (range[0] ?? 0) + 1
	};
}

/**
 * The client counts of the multiplexed sweep: 1k, 5k and 10k, then the largest this machine can
 * hold in one server process (open files per process, ephemeral ports towards one server port).
 */
function plannedSizes(/** @type {ReturnType<typeof machineInfo>} */ machine) {
	const ceiling = Math.min(40_000, machine.openFilesSoft - 200, machine.ephemeralPorts - 1000);
	const ceilingRounded = Math.floor(ceiling / 100) * 100;
	const sizes = [1000, 5000, 10_000].filter((n) => n < ceilingRounded);
	sizes.push(ceilingRounded);
	return { sizes, ceiling: ceilingRounded };
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (opts.help) {
		console.log(USAGE);
		return;
	}
	if (opts.render) {
		const file = path.relative(ROOT, path.resolve(opts.render));
		const saved = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));
		writeFileSync(
			path.join(ROOT, 'BENCHMARKS.md'),
			await renderMarkdown({ ...saved, file, analysis: analysisFor(file) })
		);
		console.log(`wrote BENCHMARKS.md from ${file}`);
		return;
	}
	const startedAt = new Date();
	const machine = machineInfo();
	const planned = plannedSizes(machine);
	const sizes = opts.sizes ?? planned.sizes;
	const ceilingOf = (/** @type {number[] | null} */ list) =>
		(list ?? [planned.ceiling]).map((n) => (n === 0 ? planned.ceiling : n));
	console.log(
		`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
			`open files ${machine.openFilesSoft}/${machine.openFilesHard}, ${machine.ephemeralPorts} ephemeral ports`
	);

	mkdirSync(TMP, { recursive: true });
	const wantsLiveFeeds = opts.servers.some((k) => k === 'a' || k === 'a-endpoints');
	const build = wantsLiveFeeds ? await snapshotBuild() : null;
	if (build)
		console.log(
			`(a) runs from a copy of build/ and server/ (built ${build.builtAt}, HEAD ${build.headCommit})`
		);
	// Never fall back to the live build/ directory: a rebuild mid-run would change (a) under us.
	else
		for (const key of ['a', 'a-endpoints']) {
			const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
			spec.entry = `${spec.entry}.missing`;
		}
	/** @type {Record<string, {name: string, skipped?: string}>} */
	const serverInfo = {};
	const servers = opts.servers.filter((key) => {
		const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
		serverInfo[key] = { name: spec.name };
		if (!existsSync(spec.entry)) {
			const reason = `${path.relative(ROOT, spec.entry)} is missing (run \`npm run build\` first)`;
			serverInfo[key] = { name: spec.name, skipped: reason };
			console.log(`skipping (${key}) ${spec.name}: ${reason}`);
			return false;
		}
		return true;
	});
	if (servers.length === 0) throw new Error('no server to benchmark');
	if (opts.reps < 3)
		console.log(`note: --reps=${opts.reps}; the issue asks for medians of at least 3`);

	// What to measure: every scenario, size and server; (b) collapses past 1k, so it stops there.
	// The ceiling's multiplexed size comes last: it takes longest, and a run over its budget then
	// loses the fewest targets.
	/** @type {(scenario: keyof typeof SCENARIOS, clients: number, keys: string[]) => {scenario: keyof typeof SCENARIOS, clients: number, servers: string[]}} */
	const step = (scenario, clients, keys) => ({ scenario, clients, servers: keys });
	const multiplex = sizes.map((clients) =>
		step(
			'multiplex',
			clients,
			servers.filter((k) => k !== 'b' || clients <= opts.naiveMax)
		)
	);
	// Ordered by what issue 11's targets need, so that a run over its budget (a busy machine) loses
	// the least: 10k, the stock feed, idle, the ceiling, then the smaller sizes.
	const plan = [
		...multiplex.filter((p) => p.clients === 10_000),
		...ceilingOf(opts.stockSizes).map((clients) =>
			step(
				'stocks',
				clients,
				servers.filter((k) => opts.stockServers.includes(k))
			)
		),
		...ceilingOf(opts.idleSizes).map((clients) =>
			step(
				'idle',
				clients,
				servers.filter((k) => opts.idleServers.includes(k))
			)
		),
		...multiplex.filter((p) => p.clients > 10_000),
		...multiplex.filter((p) => p.clients < 10_000)
	].filter((p) => p.servers.length > 0);
	console.log(
		'plan: ' +
			plan.map((p) => `${p.scenario} ${p.clients} × (${p.servers.join(',')})`).join('; ') +
			`; ${opts.reps} reps`
	);

	const profRoot = path.join(TMP, `cpu-prof-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
	const loadgen = new LoadGenerator(opts.workers);
	/** @type {any[]} */
	const runs = [];
	/** @type {Record<string, {firstFailedAt: number | null, reason: string | null}>} */
	const growth = {};
	for (const key of servers) growth[key] = { firstFailedAt: null, reason: null };

	const quiet = await waitForQuiet(opts.waitQuietMinutes);
	/** @type {string[]} */
	const skipped = [];
	const spentMs = () => Date.now() - startedAt.getTime();
	const overBudget = () => spentMs() > opts.budgetMinutes * 60_000;
	// The slowest ramp seen so far (ms per stream) predicts how long a step will take.
	let rampMsPerStream = 1;
	/** @type {(p: {clients: number, servers: string[]}) => number} */
	const stepMs = (p) =>
		opts.reps *
		p.servers.length *
		(opts.windowMs +
			opts.warmupMs +
			6000 +
			Math.min(Math.max(20_000, p.clients * 2) + 10_000, p.clients * rampMsPerStream));
	const common = { loadgen, windowMs: opts.windowMs, warmupMs: opts.warmupMs };

	try {
		// Profiling perturbs what it measures, so the profile comes from one extra run of (a),
		// kept out of the medians; first, so that a run over its budget still has it.
		if (opts.cpuProf && servers.includes('a')) {
			const n = sizes.includes(10_000) ? 10_000 : Math.max(...sizes.filter((x) => x <= 10_000));
			const label = `profile-${Number.isFinite(n) ? n : sizes[0]}`;
			const run = await measureSafely({
				...common,
				spec: /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS.a),
				normal: Number.isFinite(n) ? n : (sizes[0] ?? 1000),
				nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.join(profRoot, label)}`]
			});
			runs.push({ kind: 'profile', rep: 1, ...run });
			if (run.rampMs) rampMsPerStream = Math.max(rampMsPerStream, run.rampMs / run.clients);
			console.log(line(`(a) profiled n=${run.clients}`, run));
		}

		for (const next of plan) {
			// Past the budget, whole steps are left out (and said so), never single repetitions.
			if (spentMs() + stepMs(next) > opts.budgetMinutes * 60_000) {
				skipped.push(`${next.scenario} at ${next.clients} clients`);
				console.log(`left out (time budget): ${next.scenario} at ${next.clients} clients`);
				continue;
			}
			for (let rep = 1; rep <= opts.reps; rep++) {
				// Rotate the order so drift on this shared machine does not favour one server.
				const active = next.servers;
				const order = active.map((_, i) => active[(i + rep - 1) % active.length]);
				for (const key of order) {
					if (!key) continue;
					const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
					const run = await measureSafely({
						...common,
						spec,
						normal: next.clients,
						scenario: next.scenario,
						path: spec.paths?.[next.scenario] ?? SCENARIOS[next.scenario]
					});
					runs.push({ kind: 'sweep', rep, ...run });
					if (run.rampMs) rampMsPerStream = Math.max(rampMsPerStream, run.rampMs / next.clients);
					savePartial(runs);
					console.log(line(`(${key}) ${next.scenario} n=${next.clients} rep ${rep}`, run));
					const g = /** @type {{firstFailedAt: number | null, reason: string | null}} */ (
						growth[key]
					);
					if (next.scenario === 'multiplex' && run.failures > 0 && g.firstFailedAt === null) {
						g.firstFailedAt = next.clients;
						const dropped =
							run.failures - Object.values(run.connectErrors).reduce((x, y) => x + y, 0);
						g.reason = [
							...Object.entries(run.connectErrors).map(([code, k]) => `${code}×${k}`),
							...(dropped > 0 ? [`closed by the server×${dropped}`] : [])
						].join(', ');
					}
				}
			}
		}

		const slowReps = overBudget() && opts.slowServers.length ? 0 : opts.reps;
		if (slowReps === 0 && opts.slowServers.length) skipped.push('the slow-consumer test');
		for (let rep = 1; rep <= slowReps; rep++) {
			for (const key of opts.slowServers.filter((k) => servers.includes(k))) {
				const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
				const slowWindow = Math.max(opts.windowMs, opts.quick ? 5000 : 10_000);
				for (const slow of rep % 2 ? [0, 100] : [100, 0]) {
					const run = await measureSafely({
						...common,
						windowMs: slowWindow,
						spec,
						normal: 1000,
						slow
					});
					runs.push({ kind: slow ? 'slow' : 'slow-baseline', rep, ...run });
					savePartial(runs);
					console.log(line(`(${key}) slow=${slow} rep ${rep}`, run));
				}
			}
		}
	} finally {
		await loadgen.closeAll().catch(() => {});
		await loadgen.dispose();
		killAllChildren();
	}

	const profile = opts.cpuProf ? summarizeProfileDirs(profRoot, ROOT) : null;
	const clientResult = overBudget()
		? { skipped: `left out: the run was over its ${opts.budgetMinutes} min budget` }
		: await runClient(opts);
	const clusterResult = overBudget()
		? { skipped: `left out: the run was over its ${opts.budgetMinutes} min budget` }
		: runCluster(opts);
	const finishedAt = new Date();
	const baseline = previousResults();
	const result = {
		date: startedAt.toISOString().slice(0, 10),
		startedAt: startedAt.toISOString(),
		durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
		machine,
		options: { ...opts, sizes, sizeCeiling: planned.ceiling },
		build,
		servers: serverInfo,
		growth,
		stoppedEarly: skipped.length
			? `over the ${opts.budgetMinutes} min budget, left out: ${skipped.join('; ')}`
			: null,
		otherLoadBeforeRun: quiet,
		profile,
		baseline: baseline && { file: baseline.file, startedAt: baseline.startedAt },
		summary: summarize(runs, servers, baseline?.summary ?? null),
		client: clientResult,
		cluster: clusterResult,
		runs
	};
	const jsonPath = resultsPath(result.date);
	const file = opts.write ? path.relative(ROOT, jsonPath) : null;
	const markdown = await renderMarkdown({
		...result,
		file,
		analysis: file ? analysisFor(file) : null
	});
	console.log('\n' + markdown);
	// Always keep the last run's raw figures for inspection; tmp/ is gitignored.
	writeFileSync(path.join(TMP, 'last.json'), JSON.stringify(result, null, '\t') + '\n');
	if (opts.write) {
		writeFileSync(jsonPath, JSON.stringify(result, null, '\t') + '\n');
		writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), markdown);
		console.log(`wrote ${path.relative(ROOT, jsonPath)} and BENCHMARKS.md`);
	}
}

/**
 * Issue 13's step, in this run and after the single-server steps: `bench/cluster.js` (bus latency
 * in memory and on Redis, events per second through one Redis, idle streams held by three
 * instances). Its figures, or the reason they are missing.
 * @param {ReturnType<typeof parseArgs>} opts
 */
function runCluster(opts) {
	if (!opts.cluster) return { skipped: 'disabled with --no-cluster' };
	const out = path.join(TMP, 'cluster.json');
	rmSync(out, { force: true });
	console.log(`cluster step: bench/cluster.js, ${opts.clusterConnections} idle streams`);
	const run = spawnSync(
		process.execPath,
		[
			path.join(ROOT, 'bench', 'cluster.js'),
			`--connections=${opts.clusterConnections}`,
			`--out=${out}`
		],
		{ cwd: ROOT, stdio: 'inherit' }
	);
	if (run.status !== 0 || !existsSync(out)) {
		return { skipped: `bench/cluster.js failed (exit ${run.status ?? run.signal})` };
	}
	return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * The baseline the endpoints path must not regress against: the newest earlier results file from
 * before the direct path, when (a) was `node build/index.js` (its name and summary; a later run's
 * (a) is the direct path, another server). Null when there is none.
 */
function previousResults() {
	// `<date>.json` is that day's first run, `<date>-2.json` its second: newest first.
	const order = (/** @type {string} */ name) => {
		const [, date = '', n = '1'] = /^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.json$/.exec(name) ?? [];
		return `${date}-${n.padStart(4, '0')}`;
	};
	const files = readdirSync(RESULTS)
		.filter((f) => /^\d{4}-\d{2}-\d{2}(-\d+)?\.json$/.test(f))
		.sort((x, y) => order(y).localeCompare(order(x)));
	for (const name of files) {
		const json = JSON.parse(readFileSync(path.join(RESULTS, name), 'utf8'));
		if (json.servers?.['a-endpoints']) continue;
		return { file: `bench/results/${name}`, startedAt: json.startedAt, summary: json.summary };
	}
	return null;
}

/**
 * bench/analysis.md, the reading of one run written by hand after it, when its first line
 * (`<!-- results: bench/results/….json -->`) names `file`; otherwise null, so an analysis is never
 * shown beside figures it was not written for.
 */
function analysisFor(/** @type {string} */ file) {
	const source = path.join(ROOT, 'bench', 'analysis.md');
	if (!existsSync(source)) return null;
	const text = readFileSync(source, 'utf8');
	const named = /^<!--\s*results:\s*(\S+)\s*-->/.exec(text)?.[1];
	return named === file ? text.slice(text.indexOf('-->') + 3).trim() : null;
}

/** bench/results/<date>.json, or <date>-2.json, … when that day already has results. */
function resultsPath(/** @type {string} */ date) {
	for (let i = 1; ; i++) {
		const file = path.join(RESULTS, i === 1 ? `${date}.json` : `${date}-${i}.json`);
		if (!existsSync(file)) return file;
	}
}

/**
 * Copies build/ into a private temporary directory so a rebuild by someone else mid-run cannot
 * change or remove (a) under us. A `node_modules` symlink beside the copy lets Node resolve the
 * server's dependencies from the project; the copy is removed when the run ends.
 */
async function snapshotBuild() {
	const source = path.join(ROOT, 'build');
	const a = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS.a);
	if (!existsSync(path.join(source, 'index.js'))) return null;
	const dir = mkdtempSync(path.join(os.tmpdir(), 'live-feeds-bench-'));
	process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
	const copy = path.join(dir, 'build');
	// Complete when the entry files and every file they import relatively are there.
	const complete = () =>
		['index.js', 'handler.js'].every((entry) => {
			const file = path.join(copy, entry);
			if (!existsSync(file)) return false;
			const imports = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*'(\.\/[^']+)'/g)];
			return imports.every((m) => existsSync(path.join(copy, m[1] ?? '')));
		});
	// Someone may be rebuilding right now: retry a few times until a complete copy is taken.
	let builtAt = '';
	for (let attempt = 0; attempt < 12; attempt++) {
		rmSync(copy, { recursive: true, force: true });
		try {
			builtAt = statTime(path.join(source, 'index.js'));
			cpSync(source, copy, { recursive: true });
		} catch {
			// A file vanished mid-copy.
		}
		if (complete()) break;
		await sleep(5000);
	}
	if (!complete()) {
		console.log('build/ stayed incomplete for a minute (someone is rebuilding?): (a) is skipped');
		return null;
	}
	symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	// The direct path is server/index.js over the copied build/handler.js (it imports ../build/handler.js).
	cpSync(path.join(ROOT, 'server'), path.join(dir, 'server'), { recursive: true });
	a.entry = path.join(dir, 'server', 'index.js');
	/** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS['a-endpoints']).entry = path.join(
		dir,
		'build',
		'index.js'
	);
	let commit = null;
	try {
		commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
			cwd: ROOT,
			encoding: 'utf8'
		}).trim();
	} catch {
		// Not a git checkout.
	}
	return { headCommit: commit, builtAt };
}

/** A file's modification time as ISO text. */
function statTime(/** @type {string} */ file) {
	return statSync(file).mtime.toISOString();
}

/**
 * Measures how many cores other processes keep busy (nothing of ours runs yet) and, when asked,
 * waits up to `minutes` for it to drop below 0.3 cores, so the servers get the machine.
 * @returns {Promise<{busyCores: number, waitedS: number}>}
 */
async function waitForQuiet(/** @type {number} */ minutes) {
	const started = Date.now();
	let busyCores = 0;
	for (let i = 0; i < 1000; i++) {
		const a = readMachineCpu();
		await sleep(2000);
		const b = readMachineCpu();
		busyCores = (b.busySeconds - a.busySeconds) / 2;
		const waitedS = Math.round((Date.now() - started) / 1000);
		if (busyCores < 0.3 || Date.now() - started > minutes * 60_000) {
			console.log(`other load before the run: ${busyCores.toFixed(2)} cores (waited ${waitedS} s)`);
			return { busyCores, waitedS };
		}
		if (i % 15 === 0)
			console.log(`waiting for a quieter machine: ${busyCores.toFixed(2)} cores busy`);
	}
	return { busyCores, waitedS: Math.round((Date.now() - started) / 1000) };
}

/** Keeps the measurements so far in bench/results/tmp/partial.json, in case the run dies. */
function savePartial(/** @type {any[]} */ runs) {
	writeFileSync(path.join(TMP, 'partial.json'), JSON.stringify(runs) + '\n');
}

/**
 * Runs one measurement; an error (a server that would not start, a probe that hung) becomes a
 * run where every client failed, with the error kept, so one bad run cannot lose the others.
 * @param {import('./lib/scenario.js').MeasureOptions} o
 */
async function measureSafely(o) {
	try {
		const run = await measure(o);
		return { ...run, error: null };
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		console.log(`measurement failed: ${message.slice(0, 2000)}`);
		return errorRun(o, message);
	}
}

/** The record of a measurement that could not be taken. */
function errorRun(
	/** @type {import('./lib/scenario.js').MeasureOptions} */ o,
	/** @type {string} */ error
) {
	return {
		server: o.spec.key,
		clients: o.normal,
		slowClients: o.slow ?? 0,
		held: 0,
		failures: o.normal,
		connectErrors: { measurement_error: o.normal },
		rampMs: null,
		slowOpened: 0,
		slowHeldAtEnd: 0,
		slowDropped: 0,
		events: 0,
		eventsPerSecond: 0,
		eventsPerClientPerSecond: null,
		latencyMs: { p50: null, p99: null, max: null, samples: 0, stocksP99: null, systemP99: null },
		serverCpuPercent: 0,
		cpuSecondsPer1000Events: null,
		rssPerConnectionBytes: null,
		rssSeriesMb: [0],
		eventLoopLagMs: null,
		machine: { otherCores: 0 },
		error: error.slice(0, 4000)
	};
}

/** One progress line per measurement. */
function line(/** @type {string} */ label, /** @type {any} */ r) {
	const kb = r.rssPerConnectionBytes === null ? '–' : (r.rssPerConnectionBytes / 1024).toFixed(1);
	return (
		`${label}: held ${r.held}, failures ${r.failures}, ${Math.round(r.eventsPerSecond)} ev/s, ` +
		`p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, cpu ${r.serverCpuPercent.toFixed(0)}%, ` +
		`${r.cpuSecondsPer1000Events?.toFixed(4) ?? '–'} cpu-s/1k ev, ` +
		`${r.writeSyscallsPerEvent?.toFixed(2) ?? '–'} syscw/ev, ${r.cpuUsPerWrite?.toFixed(1) ?? '–'} µs/write, ` +
		`${kb} KB/conn, heap ${r.heapPerConnectionAfterGcBytes === null || r.heapPerConnectionAfterGcBytes === undefined ? '–' : (r.heapPerConnectionAfterGcBytes / 1024).toFixed(1)} KB/conn, ` +
		`lag p99 ${r.eventLoopLagMs?.p99?.toFixed(1) ?? '–'} ms, ramp ${r.rampMs} ms, ` +
		`other load ${r.machine.otherCores.toFixed(2)} cores` +
		(r.slowClients ? `, slow held ${r.slowHeldAtEnd}/${r.slowOpened}` : '')
	);
}

/**
 * The client (dashboard) benchmark and the bundle sizes, or the reason each was skipped.
 * @param {import('./lib/args.js').BenchOptions} opts
 */
async function runClient(opts) {
	if (!opts.client) return { skipped: 'disabled with --no-client' };
	const { runClientBench, summariseClientRuns } = await import('./client.js');
	/** @type {Record<string, any>} */
	const out = {};
	const demo = path.join(ROOT, 'build-demo');
	/** @type {{origin: string, close: () => Promise<void>} | null} */
	let served = null;
	try {
		let url = opts.clientUrl;
		if (!url && existsSync(path.join(demo, 'index.html'))) {
			const { serveStatic } = await import('./lib/static-server.js');
			served = await serveStatic(demo);
			url = served.origin + opts.clientPath;
		}
		if (url) {
			const runs = [];
			for (let rep = 1; rep <= opts.reps; rep++) {
				console.log(`client benchmark ${rep}/${opts.reps}: ${url}`);
				runs.push(await runClientBench({ url, durationMs: 10_000 }));
			}
			Object.assign(out, summariseClientRuns(runs));
		} else {
			out.skipped =
				'no dashboard build: build-demo/ is absent (run `npm run build:demo`) and no --client-url was given';
			console.log(`skipping the client benchmark: ${out.skipped}`);
		}
	} catch (error) {
		out.skipped = `the client benchmark failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
		console.log(out.skipped);
	} finally {
		await served?.close();
	}
	// Bundle sizes are bench/size.js's measurements (`npm run bench:size`), reused here.
	try {
		const size = await import('./size.js');
		out.bundles = {
			stockTicker: await size.measureStockTicker(),
			dashboard: await size.measureDashboard()
		};
	} catch (error) {
		out.bundles = { error: String(error instanceof Error ? error.message : error).split('\n')[0] };
		console.log(`bundle sizes not measured: ${out.bundles.error}`);
	}
	return out;
}

for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM'])) {
	process.on(signal, () => {
		killAllChildren();
		process.exit(130);
	});
}
process.on('exit', killAllChildren);

main().catch((error) => {
	console.error(error);
	killAllChildren();
	process.exitCode = 1;
});
