/**
 * `npm run bench`: the Live Feeds server against a naive SSE server and better-sse, side by side,
 * under the same load, on this machine; then the dashboard in Chromium when a build exists.
 * Writes bench/results/<date>.json and the tables in BENCHMARKS.md. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseArgs } from './lib/args.js';
import { LoadGenerator } from './lib/loadgen.js';
import { killAllChildren } from './lib/proc.js';
import { renderMarkdown, summarize } from './lib/report.js';
import { measure } from './lib/scenario.js';

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

/** @type {Record<string, import('./lib/proc.js').ServerSpec>} */
const SERVERS = {
	a: {
		key: 'a',
		name: 'Live Feeds',
		entry: path.join(ROOT, 'build', 'index.js'),
		env: {
			// Every client comes from 127.0.0.1: lift the connection limits out of the way.
			MAX_CONNECTIONS: '1000000',
			MAX_CONNECTIONS_PER_CLIENT: '1000000'
		}
	},
	b: {
		key: 'b',
		name: 'naive (interval per connection)',
		entry: path.join(ROOT, 'bench', 'servers', 'naive.js')
	},
	c: {
		key: 'c',
		name: 'better-sse channels',
		entry: path.join(ROOT, 'bench', 'servers', 'better-sse.js')
	}
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
 * The client counts to try: 1k, 5k and 10k always, then larger ones up to what this machine can
 * hold at all (open files per process, ephemeral ports towards one server port) or 40k.
 */
function plannedSizes(/** @type {ReturnType<typeof machineInfo>} */ machine) {
	const ceiling = Math.min(40_000, machine.openFilesSoft - 200, machine.ephemeralPorts - 1000);
	const ceilingRounded = Math.floor(ceiling / 100) * 100;
	const sizes = [1000, 5000, 10_000];
	for (const n of [15_000, 20_000, 30_000, 40_000]) if (n <= ceilingRounded) sizes.push(n);
	if (ceilingRounded > (sizes.at(-1) ?? 0)) sizes.push(ceilingRounded);
	return { sizes, ceiling: ceilingRounded };
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (opts.help) {
		console.log(USAGE);
		return;
	}
	const startedAt = new Date();
	const machine = machineInfo();
	const planned = plannedSizes(machine);
	const sizes = opts.sizes ?? planned.sizes;
	const grow = opts.sizes === null;
	console.log(
		`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
			`open files ${machine.openFilesSoft}/${machine.openFilesHard}`
	);

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

	mkdirSync(TMP, { recursive: true });
	const profArgs = ['--cpu-prof', `--cpu-prof-dir=${TMP}`];
	const loadgen = new LoadGenerator(opts.workers);
	/** @type {any[]} */
	const runs = [];
	/** @type {Record<string, {firstFailedAt: number | null, reason: string | null}>} */
	const growth = {};
	for (const key of servers) growth[key] = { firstFailedAt: null, reason: null };

	const common = { loadgen, windowMs: opts.windowMs, warmupMs: opts.warmupMs };
	const nodeArgsFor = (/** @type {string} */ key) => (opts.cpuProf && key === 'a' ? profArgs : []);

	try {
		for (const n of sizes) {
			// Past the required sizes, a server that has failed is not pushed further.
			const active = servers.filter(
				(key) => n <= 10_000 || !grow || growth[key]?.firstFailedAt === null
			);
			if (active.length === 0) break;
			for (let rep = 1; rep <= opts.reps; rep++) {
				// Rotate the order so drift on this shared machine does not favour one server.
				const order = active.map((_, i) => active[(i + rep - 1) % active.length]);
				for (const key of order) {
					if (!key) continue;
					const g = /** @type {{firstFailedAt: number | null, reason: string | null}} */ (
						growth[key]
					);
					if (n > 10_000 && g.firstFailedAt !== null) continue;
					const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
					const run = await measure({ ...common, spec, normal: n, nodeArgs: nodeArgsFor(key) });
					runs.push({ kind: 'sweep', rep, ...run });
					console.log(line(`(${key}) n=${n} rep ${rep}`, run));
					if (run.failures > 0 && g.firstFailedAt === null) {
						g.firstFailedAt = n;
						g.reason = Object.entries(run.connectErrors)
							.map(([code, k]) => `${code}×${k}`)
							.join(', ');
					}
				}
			}
		}

		const slowReps = opts.reps;
		for (let rep = 1; rep <= slowReps; rep++) {
			for (const key of opts.slowServers.filter((k) => servers.includes(k))) {
				const spec = /** @type {import('./lib/proc.js').ServerSpec} */ (SERVERS[key]);
				const slowWindow = Math.max(opts.windowMs, opts.quick ? 5000 : 10_000);
				for (const slow of rep % 2 ? [0, 100] : [100, 0]) {
					const run = await measure({
						...common,
						windowMs: slowWindow,
						spec,
						normal: 1000,
						slow,
						nodeArgs: nodeArgsFor(key)
					});
					runs.push({ kind: slow ? 'slow' : 'slow-baseline', rep, ...run });
					console.log(line(`(${key}) slow=${slow} rep ${rep}`, run));
				}
			}
		}
	} finally {
		await loadgen.closeAll().catch(() => {});
		await loadgen.dispose();
		killAllChildren();
	}

	const clientResult = await runClient(opts);
	const finishedAt = new Date();
	const result = {
		date: startedAt.toISOString().slice(0, 10),
		startedAt: startedAt.toISOString(),
		durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
		machine,
		options: { ...opts, sizes, grow, sizeCeiling: planned.ceiling },
		servers: serverInfo,
		growth,
		summary: summarize(runs, servers),
		client: clientResult,
		runs
	};
	const markdown = await renderMarkdown(result);
	console.log('\n' + markdown);
	// Always keep the last run's raw figures for inspection; tmp/ is gitignored.
	writeFileSync(path.join(TMP, 'last.json'), JSON.stringify(result, null, '\t') + '\n');
	if (opts.write) {
		const jsonPath = path.join(RESULTS, `${result.date}.json`);
		writeFileSync(jsonPath, JSON.stringify(result, null, '\t') + '\n');
		writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), markdown);
		console.log(`wrote ${path.relative(ROOT, jsonPath)} and BENCHMARKS.md`);
	}
}

/** One progress line per measurement. */
function line(/** @type {string} */ label, /** @type {any} */ r) {
	const kb = r.rssPerConnectionBytes === null ? '–' : (r.rssPerConnectionBytes / 1024).toFixed(1);
	return (
		`${label}: held ${r.held}, failures ${r.failures}, ${Math.round(r.eventsPerSecond)} ev/s, ` +
		`p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, cpu ${r.serverCpuPercent.toFixed(0)}%, ` +
		`${r.cpuSecondsPer1000Events?.toFixed(4) ?? '–'} cpu-s/1k ev, ${kb} KB/conn, ` +
		`lag p99 ${r.eventLoopLagMs?.p99?.toFixed(1) ?? '–'} ms, ramp ${r.rampMs} ms` +
		(r.slowClients ? `, slow held ${r.slowHeldAtEnd}/${r.slowOpened}` : '')
	);
}

/** The client (dashboard) benchmark, or the reason it was skipped. */
async function runClient(/** @type {import('./lib/args.js').BenchOptions} */ opts) {
	if (!opts.client) return { skipped: 'disabled with --no-client' };
	if (!opts.clientUrl) {
		const reason =
			'no dashboard to load: pass --client-url=<dashboard URL in the mock burst scenario> ' +
			'(the dashboard build does not exist yet)';
		console.log(`skipping the client benchmark: ${reason}`);
		return { skipped: reason };
	}
	const { runClientBench } = await import('./client.js');
	return runClientBench({ url: opts.clientUrl, durationMs: 10_000 });
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
