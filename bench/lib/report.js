/**
 * Medians over repetitions, ratios between servers, the issue's targets, and the Markdown that
 * goes into BENCHMARKS.md.
 */
import { median, ratio } from './stats.js';

const KIB = 1024;

/** Targets of the issue for Live Feeds at 10k clients. */
export const TARGETS = {
	clients: 10_000,
	p99Ms: 250,
	rssPerConnectionBytes: 20 * KIB,
	cpuVsNaive: 1 / 5,
	cpuVsBetterSse: 1,
	slowP99Slack: 1.2
};

/**
 * Events a client should get per second: time 1, system 1, and one stock move every 0.5–1.5 s.
 * A server that falls behind delivers fewer, late events whose `epoch_ms` is stamped late too, so
 * its latency alone looks better than it is; the delivered share shows it.
 */
export const EXPECTED_EVENTS_PER_CLIENT = 3;

/** The metrics whose median is reported per server and size. */
const METRICS = {
	held: (/** @type {any} */ r) => r.held,
	eventsPerSecond: (/** @type {any} */ r) => r.eventsPerSecond,
	deliveredPercent: (/** @type {any} */ r) =>
		r.eventsPerClientPerSecond === null
			? null
			: (r.eventsPerClientPerSecond / EXPECTED_EVENTS_PER_CLIENT) * 100,
	p50: (/** @type {any} */ r) => r.latencyMs.p50,
	p99: (/** @type {any} */ r) => r.latencyMs.p99,
	stocksP99: (/** @type {any} */ r) => r.latencyMs.stocksP99,
	systemP99: (/** @type {any} */ r) => r.latencyMs.systemP99,
	cpuSecondsPer1000Events: (/** @type {any} */ r) => r.cpuSecondsPer1000Events,
	serverCpuPercent: (/** @type {any} */ r) => r.serverCpuPercent,
	rssPerConnectionBytes: (/** @type {any} */ r) => r.rssPerConnectionBytes,
	heapPerConnectionAfterGcBytes: (/** @type {any} */ r) => r.heapPerConnectionAfterGcBytes ?? null,
	rssLoadBytes: (/** @type {any} */ r) => r.rssLoadBytes,
	rssPeakBytes: (/** @type {any} */ r) => r.rssPeakBytes,
	lagP99Ms: (/** @type {any} */ r) => r.eventLoopLagMs?.p99,
	metricsLagP99Ms: (/** @type {any} */ r) => r.metrics?.eventLoopLagP99Ms,
	loadgenCpuSeconds: (/** @type {any} */ r) => r.loadgen?.cpuSeconds,
	loadgenLagP99Ms: (/** @type {any} */ r) => r.loadgen?.loopLagP99Ms,
	rampMs: (/** @type {any} */ r) => r.rampMs,
	otherCores: (/** @type {any} */ r) => r.machine?.otherCores
};

/** Medians of one group of runs, plus the worst failure count. */
function medians(/** @type {any[]} */ group) {
	/** @type {Record<string, number | null>} */
	const out = {};
	for (const [name, pick] of Object.entries(METRICS)) out[name] = median(group.map(pick));
	out.reps = group.length;
	out.failuresWorst = Math.max(0, ...group.map((r) => r.failures));
	out.failuresMedian = median(group.map((r) => r.failures));
	return out;
}

/**
 * Medians per size and server, ratios of (a) to (b) and (c), the slow-consumer comparison and the
 * targets.
 * @param {any[]} runs
 * @param {string[]} servers
 */
export function summarize(runs, servers) {
	const sweep = runs.filter((r) => r.kind === 'sweep');
	const sizes = [...new Set(sweep.map((r) => r.clients))].sort((x, y) => x - y);
	const bySize = sizes.map((clients) => {
		/** @type {Record<string, Record<string, number | null>>} */
		const per = {};
		for (const key of servers) {
			const group = sweep.filter((r) => r.clients === clients && r.server === key);
			if (group.length) per[key] = medians(group);
		}
		/** @type {Record<string, Record<string, number | null>>} */
		const ratios = {};
		for (const other of ['b', 'c']) {
			if (!per.a || !per[other]) continue;
			ratios[`a/${other}`] = {
				cpuSecondsPer1000Events: ratio(
					per.a.cpuSecondsPer1000Events,
					per[other].cpuSecondsPer1000Events
				),
				rssPerConnectionBytes: ratio(per.a.rssPerConnectionBytes, per[other].rssPerConnectionBytes),
				p99: ratio(per.a.p99, per[other].p99),
				eventsPerSecond: ratio(per.a.eventsPerSecond, per[other].eventsPerSecond)
			};
		}
		return { clients, servers: per, ratios };
	});

	/** @type {Record<string, any>} */
	const slow = {};
	for (const key of servers) {
		const base = runs.filter((r) => r.kind === 'slow-baseline' && r.server === key);
		const withSlow = runs.filter((r) => r.kind === 'slow' && r.server === key);
		if (!base.length || !withSlow.length) continue;
		const baseP99 = median(base.map((r) => r.latencyMs.p99));
		const slowP99 = median(withSlow.map((r) => r.latencyMs.p99));
		slow[key] = {
			reps: withSlow.length,
			baselineP99: baseP99,
			withSlowP99: slowP99,
			p99Ratio: ratio(slowP99, baseP99),
			baselineRssPeakBytes: median(base.map((r) => r.rssPeakBytes)),
			withSlowRssPeakBytes: median(withSlow.map((r) => r.rssPeakBytes)),
			// RSS growth across the window: flat when memory is bounded.
			withSlowRssGrowthBytes: median(
				withSlow.map((r) => (r.rssSeriesMb.at(-1) - r.rssSeriesMb[0]) * 1048576)
			),
			slowDropped: median(withSlow.map((r) => r.slowDropped)),
			normalFailuresWorst: Math.max(0, ...withSlow.map((r) => r.failures))
		};
	}
	return { bySize, slow, targets: targets(bySize, slow) };
}

/** The issue's pass/fail targets for (a), as far as the runs can answer them. */
function targets(/** @type {any[]} */ bySize, /** @type {Record<string, any>} */ slow) {
	const at = bySize.find((s) => s.clients === TARGETS.clients);
	const a = at?.servers.a;
	/** @type {{target: string, value: string, pass: boolean | null}[]} */
	const out = [];
	const add = (
		/** @type {string} */ target,
		/** @type {string} */ value,
		/** @type {boolean | null} */ pass
	) => out.push({ target, value, pass });
	if (!a) {
		add('Live Feeds at 10k clients', 'not measured', null);
		return out;
	}
	add(
		'zero failures at 10k',
		`${a.failuresWorst} (worst of ${a.reps} reps)`,
		a.failuresWorst === 0
	);
	add(`p99 ≤ ${TARGETS.p99Ms} ms at 10k`, fmtMs(a.p99), a.p99 !== null && a.p99 <= TARGETS.p99Ms);
	add(
		'≤ 20 KB RSS per connection at 10k',
		fmtKb(a.rssPerConnectionBytes) +
			(a.heapPerConnectionAfterGcBytes === null
				? ''
				: ` (JS heap after a forced full GC: ${fmtKb(a.heapPerConnectionAfterGcBytes)})`),
		a.rssPerConnectionBytes !== null && a.rssPerConnectionBytes <= TARGETS.rssPerConnectionBytes
	);
	const vsB = at.ratios['a/b']?.cpuSecondsPer1000Events ?? null;
	add(
		'CPU per event ≤ 1/5 of (b) at 10k',
		vsB === null ? 'not measured' : `${fmtRatio(vsB)} of (b)`,
		vsB === null ? null : vsB <= TARGETS.cpuVsNaive
	);
	const vsC = at.ratios['a/c']?.cpuSecondsPer1000Events ?? null;
	add(
		'CPU per event ≤ (c) at 10k',
		vsC === null ? 'not measured' : `${fmtRatio(vsC)} of (c)`,
		vsC === null ? null : vsC <= TARGETS.cpuVsBetterSse
	);
	const s = slow.a;
	if (s) {
		add(
			'slow consumers: normal p99 within 20% of no-slow run',
			`${fmtMs(s.withSlowP99)} vs ${fmtMs(s.baselineP99)} (×${s.p99Ratio?.toFixed(2) ?? '–'})`,
			s.p99Ratio !== null && s.withSlowP99 !== null && s.baselineP99 !== null
				? s.withSlowP99 <= s.baselineP99 * TARGETS.slowP99Slack
				: null
		);
		add(
			'slow consumers: server memory bounded',
			`RSS growth in window ${fmtMb(s.withSlowRssGrowthBytes)}, peak ${fmtMb(s.withSlowRssPeakBytes)} vs ${fmtMb(s.baselineRssPeakBytes)} without`,
			s.withSlowRssGrowthBytes !== null ? s.withSlowRssGrowthBytes <= 8 * 1048576 : null
		);
	}
	return out;
}

const fmtMs = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${Math.round(v)} ms`;
const fmtKb = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${(v / KIB).toFixed(1)} KB`;
const fmtMb = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${(v / 1048576).toFixed(1)} MB`;
const fmtRatio = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `×${v.toFixed(2)}`;
const fmtNum = (/** @type {number | null | undefined} */ v, digits = 0) =>
	v === null || v === undefined
		? '–'
		: v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * BENCHMARKS.md: method, machine, tables, targets; formatted with Prettier when it is available.
 * @param {any} result
 */
export async function renderMarkdown(result) {
	const { machine, options, summary, servers, growth, client } = result;
	const names = /** @type {Record<string, {name: string, skipped?: string}>} */ (servers);
	const label = (/** @type {string} */ key) => `(${key}) ${names[key]?.name ?? key}`;
	const md = [];
	md.push('# Benchmarks', '');
	md.push(
		'Generated by `npm run bench` (`bench/run.js`); do not edit by hand. Raw figures: ' +
			`[bench/results/${result.date}.json](bench/results/${result.date}.json).`,
		''
	);
	md.push('## Machine', '');
	md.push(
		`${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ` +
			`${machine.platform}. Open files per process: ${machine.openFilesSoft} (hard limit ${machine.openFilesHard}). ` +
			`Run on ${result.startedAt}, ${result.durationS} s in all. The load generator shares the two cores with the server under test ` +
			"(and with whatever else runs on the machine), so absolute figures are this machine's; the ratios carry over better. " +
			(result.otherLoadBeforeRun
				? `Before the run, other processes kept ${fmtNum(result.otherLoadBeforeRun.busyCores, 2)} cores busy; ` +
					'each table shows how much they used during the measurements.'
				: ''),
		''
	);
	md.push('## Server: fan-out at scale', '');
	md.push('### Method', '');
	md.push(
		...[
			'- Compared in the same run, under the same load, each in its own fresh process: ' +
				Object.keys(names)
					.map((k) => `${label(k)}${names[k]?.skipped ? ` (skipped: ${names[k]?.skipped})` : ''}`)
					.join('; ') +
				'. (a) is `node build/index.js` from `npm run build`; (b) `bench/servers/naive.js` gives every connection its own ' +
				'intervals, its own `systeminformation` sample and its own stock walk, as the classic SSE tutorials do; ' +
				'(c) `bench/servers/better-sse.js` broadcasts one producer per feed through `better-sse` channels on a plain Node server.',
			'- Every client opens the multiplexed stream `GET /api/feeds?topics=time,system,stocks` over 127.0.0.1. ' +
				`The load generator is ${options.workers} forked Node processes using raw \`http\` (an agent with no keep-alive and no socket cap), ` +
				'at most 400 connects in flight, parsing with `eventsource-parser`; two processes so that reading 10k+ sockets can use both cores ' +
				'while the server is idle between broadcasts.',
			`- Each measurement: start the server, wait 1 s, read idle RSS; open N streams; wait ${options.warmupMs / 1000} s; then a ` +
				`${options.windowMs / 1000} s window in which everything below is counted; close all streams; stop the server.`,
			`- Repetitions: ${options.reps} per server and size, servers interleaved in rotating order; tables show medians ` +
				'(failures: the worst repetition).',
			'- **Failures**: streams that did not open (error, non-200, no answer within 10 s, or not started within 20 s of the first connect) plus streams that closed before the end of the window. ' +
				'**Events/s**: every event received in the window, all clients together; **delivered**: events per held client ' +
				'per second against the 3 a client should get (time 1/s, system 1/s, a stock move every 0.5–1.5 s). ' +
				'A server that falls behind stamps `epoch_ms` late as well, so read its latency together with this share.',
			"- **Latency**: arrival time (`Date.now()` when the chunk arrives) minus the payload's `epoch_ms`, same clock. Only `system` and " +
				'`stocks:*` events count, whose `epoch_ms` is the publish time; `time` events are left out because their `epoch_ms` is truncated ' +
				'to the second (their lateness against the second boundary is kept in the JSON).',
			"- **CPU**: the server process's user + system time from `/proc/<pid>/stat` over the window (10 ms ticks), divided by " +
				'events delivered / 1000. **RSS per connection**: (RSS at the end of the window − idle RSS) / streams held; it counts the garbage ' +
				'waiting for the next collection and the heap pages V8 keeps after it. **JS heap after GC**: (V8 heap used after two forced ' +
				'full collections once the window is over − the same at idle) / streams held, every server running with `--expose-gc`: ' +
				'what the open streams hold in JavaScript objects (RSS itself does not fall at once after a GC, so it is not shown after one).',
			'- **Ramp**: time to open the N streams (at most 400 connects in flight). **Other load**: CPU that other processes ' +
				'on the machine used during the window, in cores (all busy CPU from `/proc/stat` minus the server and the load ' +
				'generator); anything above 0 competed with the server for the two cores.',
			'- **Event-loop lag**: `perf_hooks.monitorEventLoopDelay` (10 ms resolution) preloaded into all three servers with ' +
				'`node --import bench/servers/probe.js`, reset at the start of the window; p99 shown. For (a) the JSON also keeps ' +
				'`nodejs_eventloop_lag_p99_seconds` from `/metrics` when present.',
			`- Sizes: 1k, 5k and 10k for every server, then larger ones (up to ${options.sizeCeiling}) for each server that has not failed yet. ` +
				`The ceiling is this machine's: ${machine.openFilesHard} open files per process, which root cannot raise here ` +
				`(the script raises the soft limit as far as it can), and ${machine.ephemeralPorts} ephemeral ports towards one server port.`
		],
		''
	);

	for (const size of summary.bySize) {
		md.push(`### ${fmtNum(size.clients)} clients`, '');
		md.push(
			'| server | held | failures | events/s | delivered | p50 | p99 | stocks p99 | CPU % | CPU s / 1k events | RSS / conn | JS heap / conn after GC | loop lag p99 | ramp | other load |',
			'|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
		);
		for (const [key, m] of Object.entries(size.servers)) {
			const mm = /** @type {any} */ (m);
			md.push(
				`| ${label(key)} | ${fmtNum(mm.held)} | ${mm.failuresWorst} | ${fmtNum(mm.eventsPerSecond)} | ${fmtNum(mm.deliveredPercent)}% | ${fmtMs(mm.p50)} | ${fmtMs(mm.p99)} | ` +
					`${fmtMs(mm.stocksP99)} | ${fmtNum(mm.serverCpuPercent)} | ${fmtNum(mm.cpuSecondsPer1000Events, 4)} | ` +
					`${fmtKb(mm.rssPerConnectionBytes)} | ${mm.heapPerConnectionAfterGcBytes === null ? '–' : fmtKb(mm.heapPerConnectionAfterGcBytes)} | ${mm.lagP99Ms === null ? '–' : `${fmtNum(mm.lagP99Ms, 1)} ms`} | ` +
					`${fmtNum((mm.rampMs ?? 0) / 1000, 1)} s | ${fmtNum(mm.otherCores, 2)} |`
			);
		}
		const ratios = Object.entries(size.ratios);
		if (ratios.length) {
			md.push(
				'',
				'| ratio | CPU per event | RSS / conn | p99 | events/s |',
				'|---|---:|---:|---:|---:|'
			);
			for (const [name, r] of ratios) {
				const rr = /** @type {any} */ (r);
				md.push(
					`| ${name} | ${fmtRatio(rr.cpuSecondsPer1000Events)} | ${fmtRatio(rr.rssPerConnectionBytes)} | ${fmtRatio(rr.p99)} | ${fmtRatio(rr.eventsPerSecond)} |`
				);
			}
		}
		md.push('');
	}

	md.push('### Until failure', '');
	if (result.stoppedEarly) md.push(`Note: ${result.stoppedEarly}.`, '');
	for (const [key, g] of Object.entries(growth)) {
		const gg = /** @type {any} */ (g);
		md.push(
			`- ${label(key)}: ` +
				(gg.firstFailedAt === null
					? `no failures up to ${fmtNum(Math.max(...summary.bySize.filter((/** @type {any} */ s) => s.servers[key]).map((/** @type {any} */ s) => s.clients)))} clients.`
					: `first failures at ${fmtNum(gg.firstFailedAt)} clients${gg.reason ? ` (${gg.reason})` : ''}.`)
		);
	}
	md.push('');

	md.push('### Slow consumers', '');
	md.push(
		'100 clients that never read (the response and its socket paused right after the headers) beside 1000 normal ones, ' +
			"against the same 1000 without them, each measured over a longer window. Only the normal clients' latency counts. " +
			"Caveat: at about 1 KB/s per stream the unread bytes of a 10 s window still fit in the kernel's socket buffers " +
			'(hundreds of KB on loopback), so this shows that slow clients do not slow the others and that RSS stays flat; ' +
			"it cannot reach the server's own per-client buffer limit and its drop within the time budget.",
		''
	);
	if (Object.keys(summary.slow).length) {
		md.push(
			'| server | p99 without slow | p99 with slow | ratio | RSS peak without | RSS peak with | RSS growth in window | slow dropped |',
			'|---|---:|---:|---:|---:|---:|---:|---:|'
		);
		for (const [key, s] of Object.entries(summary.slow)) {
			const ss = /** @type {any} */ (s);
			md.push(
				`| ${label(key)} | ${fmtMs(ss.baselineP99)} | ${fmtMs(ss.withSlowP99)} | ${fmtRatio(ss.p99Ratio)} | ${fmtMb(ss.baselineRssPeakBytes)} | ` +
					`${fmtMb(ss.withSlowRssPeakBytes)} | ${fmtMb(ss.withSlowRssGrowthBytes)} | ${fmtNum(ss.slowDropped)} |`
			);
		}
	} else md.push('Not run.');
	md.push('');

	md.push('### Targets for Live Feeds at 10k clients', '');
	md.push('| target | measured | result |', '|---|---|---|');
	for (const t of summary.targets) {
		md.push(
			`| ${t.target} | ${t.value} | ${t.pass === null ? 'not measured' : t.pass ? 'pass' : '**fail**'} |`
		);
	}
	md.push('');

	if (result.profile) md.push(...profileMarkdown(result.profile), '');

	md.push('## Client: the dashboard under load', '');
	md.push(
		"Playwright drives Debian's Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`) headless. It loads the dashboard " +
			'(by default the static demo build, `build-demo/`, served on 127.0.0.1 and opened in the mock `burst` scenario), ' +
			'waits for the page to load, forces a GC and reads the JS heap (CDP `Runtime.getHeapUsage`), then for 10 s counts ' +
			'`longtask` entries (> 50 ms) from a `PerformanceObserver` and `requestAnimationFrame` callbacks, and finally ' +
			'forces a GC and reads the heap again. This is repeated `--reps` times (default 3), each time in a fresh browser. ' +
			'Initial JS is every script the page loaded before the run, gzipped here (zlib default level); the demo build ' +
			'carries MSW and the mock backend, which the served dashboard does not load. ' +
			'Bundle sizes come from `bench/size.js` (`npm run bench:size`): what importing only ' +
			"`StockTicker` from the packed package adds to an empty Svelte app, and the dashboard's initial JS from the built " +
			"server's HTML and preload headers.",
		''
	);
	if (client?.skipped) md.push(`Dashboard run: not run (${client.skipped}).`, '');
	else if (client) md.push(...clientMarkdown(client), '');
	const bundles = client?.bundles;
	if (bundles?.error) md.push(`Bundle sizes: not measured (${bundles.error}).`, '');
	else if (bundles) {
		const t = bundles.stockTicker;
		const d = bundles.dashboard;
		md.push(
			'| bundle (gzip) | measured | target | result |',
			'|---|---:|---:|---|',
			`| \`StockTicker\` alone, added to an empty app | ${fmtKb(t.delta.totalGzip)} | ${fmtKb(t.targetBytes)} | ${t.withinTarget ? 'pass' : '**fail**'} |`,
			`| dashboard initial JS (${d.files.length} files) | ${fmtKb(d.jsGzip)} | ${fmtKb(d.targetBytes)} | ${d.withinTarget ? 'pass' : '**fail**'} |`,
			''
		);
	}

	md.push(
		'## Running it',
		'',
		'```sh',
		'npm run build          # (a) is build/index.js',
		`npm run bench          # full run (${Math.round(result.durationS / 60)} min here, client half included)`,
		'npm run bench -- --quick',
		'npm run bench -- --sizes=1000,10000 --servers=a,c --reps=3',
		"npm run bench -- --cpu-prof   # writes (a)'s .cpuprofile files to bench/results/tmp/",
		'npm run bench -- --help',
		'```',
		''
	);
	const text = md.join('\n');
	try {
		const prettier = await import('prettier');
		// The project's own settings, so `prettier --check .` (npm run lint) accepts the file.
		const target = new URL('../../BENCHMARKS.md', import.meta.url).pathname;
		const config = (await prettier.resolveConfig(target)) ?? {};
		return await prettier.format(text, { ...config, filepath: target });
	} catch {
		return text;
	}
}

/** The `--cpu-prof` section: (a)'s top functions by self time in its profiled 10k (or largest) runs. */
function profileMarkdown(/** @type {any} */ profile) {
	const label = Object.keys(profile.runs)[0];
	if (!label) return [];
	const run = profile.runs[label];
	return [
		'### Where (a) spends its CPU (`--cpu-prof`)',
		'',
		'Self time of the main thread over the whole life of one extra (a) process run with `node --cpu-prof` under the same load ' +
			`(\`${label}\`: start-up, ramp, warm-up and window; ${fmtNum(run.totalMs / 1000, 1)} s sampled, idle included). ` +
			`Its figures are kept out of the medians. Profile: \`${profile.dir}\` (open it in Chrome DevTools).`,
		'',
		'| function | where | self | share |',
		'|---|---|---:|---:|',
		...run.functions.map(
			(/** @type {any} */ f) =>
				`| \`${f.name}\` | ${f.where ? `\`${f.where}\`` : ''} | ${fmtNum(f.selfMs)} ms | ${fmtNum(f.percent, 1)}% |`
		),
		...(run.workers
			? [
					'',
					`Not in the table: ${run.workers.threads === 1 ? 'the worker thread' : `${run.workers.threads} worker threads`} of the system sampler ` +
						`(\`systeminformation\`, off the event loop), busy ${fmtNum(run.workers.busyMs)} ms of ${fmtNum(run.workers.totalMs / 1000, 1)} s, mostly ` +
						run.workers.functions
							.map((/** @type {any} */ f) => `\`${f.name}\` ${fmtNum(f.selfMs)} ms`)
							.join(', ') +
						'.'
				]
			: [])
	];
}

/** The client benchmark's section: medians of the runs, with every run's figures beside them. */
function clientMarkdown(/** @type {any} */ c) {
	const runs = /** @type {any[]} */ (c.runs ?? [c]);
	const each = (/** @type {(run: any) => string} */ show) => runs.map(show).join(', ');
	return [
		`Chromium ${c.browser ?? ''} loaded \`${String(c.url).replace(/^http:\/\/127\.0\.0\.1:\d+/, '')}\` and ran it for ${(c.durationMs / 1000).toFixed(1)} s, ${runs.length} times, each in a fresh page. Medians, with each run's figure beside them.`,
		'',
		'| measure | median | runs | target |',
		'|---|---:|---|---|',
		`| long tasks > 50 ms | ${fmtNum(c.longTasks)}${c.longestTaskMs ? ` (longest of all runs ${fmtMs(c.longestTaskMs)})` : ''} | ${each((r) => `${r.longTasks}`)} | none |`,
		`| frames per second (requestAnimationFrame) | ${fmtNum(c.fps, 1)} | ${each((r) => fmtNum(r.fps, 1))} | ≥ 55 |`,
		`| JS heap after GC, start → end | ${fmtMb(c.heapStartBytes)} → ${fmtMb(c.heapEndBytes)} | ${each((r) => `${fmtMb(r.heapStartBytes)} → ${fmtMb(r.heapEndBytes)}`)} | stable |`,
		`| initial JS (gzip) | ${fmtKb(c.initialJsGzipBytes)} in ${c.initialJsFiles} files | | |`,
		'',
		`Targets (on the medians): ${c.targets.map((/** @type {any} */ t) => `${t.target}: ${t.pass ? 'pass' : '**fail**'}`).join('; ')}. ` +
			'A stable heap means that after GC it ends within 10% (or 1 MB) of where it started.'
	];
}
