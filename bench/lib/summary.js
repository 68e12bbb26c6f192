/**
 * Medians over repetitions, ratios between servers in the same run, and issue 11's targets for
 * Live Feeds. The Markdown is report.js's.
 */
import { median, ratio } from './stats.js';

const KIB = 1024;

/** Issue 11's targets. */
export const TARGETS = {
	/** The multiplexed stream at 10k clients. */
	clients: 10_000,
	p99Ms: 250,
	cpuVsBetterSse: 0.7,
	rssPerConnectionBytes: 16 * KIB,
	heapPerConnectionBytes: 6 * KIB,
	/** The stock feed alone. */
	stocksCpuVsBetterSse: 1.05,
	stocksMemoryVsBetterSse: 2 / 3,
	/** Idle streams at the file-descriptor ceiling. */
	idleRssPerConnectionBytes: 12 * KIB,
	/** Centrifugo's published, tuned figure, for the idle table. */
	centrifugoIdleBytes: 10.9 * KIB
};

/**
 * Events a client should get per second, per scenario: on the multiplexed stream time 1, system 1
 * and one stock move every 0.5–1.5 s; on the stock feed alone the moves only. A server that falls
 * behind delivers fewer, late events whose `epoch_ms` is stamped late too, so its latency alone
 * looks better than it is; the delivered share shows it. Idle streams have no rate to meet.
 * @type {Record<string, number | null>}
 */
export const EXPECTED_EVENTS_PER_CLIENT = { multiplex: 3, stocks: 1, idle: null };

/** The servers whose figures are compared with the others, and those they are compared with. */
const OURS = ['a', 'a-endpoints'];
const OTHERS = ['b', 'c', 'e'];

/** The metrics whose median is reported per scenario, size and server. */
const METRICS = {
	held: (/** @type {any} */ r) => r.held,
	eventsPerSecond: (/** @type {any} */ r) => r.eventsPerSecond,
	deliveredPercent: (/** @type {any} */ r) => {
		const expected = EXPECTED_EVENTS_PER_CLIENT[r.scenario ?? 'multiplex'];
		return r.eventsPerClientPerSecond === null || !expected
			? null
			: (r.eventsPerClientPerSecond / expected) * 100;
	},
	p50: (/** @type {any} */ r) => r.latencyMs.p50,
	p99: (/** @type {any} */ r) => r.latencyMs.p99,
	stocksP99: (/** @type {any} */ r) => r.latencyMs.stocksP99,
	systemP99: (/** @type {any} */ r) => r.latencyMs.systemP99,
	cpuSecondsPer1000Events: (/** @type {any} */ r) => r.cpuSecondsPer1000Events,
	cpuUsPerEvent: (/** @type {any} */ r) =>
		r.cpuSecondsPer1000Events === null ? null : r.cpuSecondsPer1000Events * 1000,
	serverCpuPercent: (/** @type {any} */ r) => r.serverCpuPercent,
	writeSyscallsPerEvent: (/** @type {any} */ r) => r.writeSyscallsPerEvent ?? null,
	cpuUsPerWrite: (/** @type {any} */ r) => (r.events ? (r.cpuUsPerWrite ?? null) : null),
	appWritesPerDelivery: (/** @type {any} */ r) => r.appWritesPerDelivery ?? null,
	deliveriesPerSecondPerCore: (/** @type {any} */ r) =>
		r.events ? (r.deliveriesPerSecondPerCore ?? null) : null,
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

/** Medians of one group of runs, plus the worst failure count (and the worst p99). */
function medians(/** @type {any[]} */ group) {
	/** @type {Record<string, number | null>} */
	const out = {};
	for (const [name, pick] of Object.entries(METRICS)) out[name] = median(group.map(pick));
	out.reps = group.length;
	out.failuresWorst = Math.max(0, ...group.map((r) => r.failures));
	out.failuresMedian = median(group.map((r) => r.failures));
	out.p99Worst = Math.max(0, ...group.map((r) => r.latencyMs.p99 ?? 0));
	return out;
}

/** Ratios of one of ours to another server at the same scenario and size. */
function ratiosOf(/** @type {any} */ mine, /** @type {any} */ theirs) {
	return {
		cpuPerEvent: ratio(mine.cpuSecondsPer1000Events, theirs.cpuSecondsPer1000Events),
		rssPerConnectionBytes: ratio(mine.rssPerConnectionBytes, theirs.rssPerConnectionBytes),
		heapPerConnectionAfterGcBytes: ratio(
			mine.heapPerConnectionAfterGcBytes,
			theirs.heapPerConnectionAfterGcBytes
		),
		p99: ratio(mine.p99, theirs.p99),
		eventsPerSecond: ratio(mine.eventsPerSecond, theirs.eventsPerSecond),
		writesPerEvent: ratio(mine.writeSyscallsPerEvent, theirs.writeSyscallsPerEvent),
		cpuUsPerWrite: ratio(mine.cpuUsPerWrite, theirs.cpuUsPerWrite)
	};
}

/**
 * Medians per scenario, size and server, ratios of (a) and (a-endpoints) to the others, the
 * slow-consumer comparison and the targets. `baseline` is the summary of the newest earlier
 * results file, for the endpoints path's no-regression check.
 * @param {any[]} runs
 * @param {string[]} servers
 * @param {any} [baseline]
 */
export function summarize(runs, servers, baseline = null) {
	const sweep = runs.filter((r) => r.kind === 'sweep');
	/** @type {Record<string, any[]>} */
	const byScenario = {};
	for (const scenario of [...new Set(sweep.map((r) => r.scenario ?? 'multiplex'))]) {
		const ofScenario = sweep.filter((r) => (r.scenario ?? 'multiplex') === scenario);
		const sizes = [...new Set(ofScenario.map((r) => r.clients))].sort((x, y) => x - y);
		byScenario[scenario] = sizes.map((clients) => {
			/** @type {Record<string, Record<string, number | null>>} */
			const per = {};
			for (const key of servers) {
				const group = ofScenario.filter((r) => r.clients === clients && r.server === key);
				if (group.length) per[key] = medians(group);
			}
			/** @type {Record<string, any>} */
			const ratios = {};
			for (const mine of OURS) {
				for (const other of OTHERS) {
					if (per[mine] && per[other]) ratios[`${mine}/${other}`] = ratiosOf(per[mine], per[other]);
				}
			}
			if (per.a && per['a-endpoints'])
				ratios['a-endpoints/a'] = ratiosOf(per['a-endpoints'], per.a);
			return { clients, servers: per, ratios };
		});
	}

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
	const regression = endpointsRegression(byScenario.multiplex ?? [], baseline);
	return {
		bySize: byScenario.multiplex ?? [],
		byScenario,
		slow,
		regression,
		targets: targets(byScenario, regression)
	};
}

/**
 * The endpoints path against the old (a), which was the endpoints path, in the newest earlier
 * results file: per size, the worst failures, CPU per event relative to (c) in each run (a ratio
 * carries over between runs on this shared machine better than an absolute figure), RSS and p99.
 */
function endpointsRegression(/** @type {any[]} */ multiplex, /** @type {any} */ baseline) {
	/** @type {any[]} */
	const rows = [];
	for (const size of multiplex) {
		const now = size.servers['a-endpoints'];
		const old = baseline?.bySize?.find((/** @type {any} */ s) => s.clients === size.clients);
		const then = old?.servers?.a;
		if (!now || !then) continue;
		const nowVsC = size.ratios['a-endpoints/c']?.cpuPerEvent ?? null;
		const thenVsC = old.ratios?.['a/c']?.cpuSecondsPer1000Events ?? null;
		const checks = {
			failures: now.failuresWorst <= then.failuresWorst,
			cpuVsC: nowVsC === null || thenVsC === null ? null : nowVsC <= thenVsC,
			rss:
				now.rssPerConnectionBytes === null || then.rssPerConnectionBytes === null
					? null
					: now.rssPerConnectionBytes <= then.rssPerConnectionBytes
		};
		rows.push({
			clients: size.clients,
			now: {
				failuresWorst: now.failuresWorst,
				p99: now.p99,
				cpuUsPerEvent: now.cpuUsPerEvent,
				cpuVsC: nowVsC,
				rssPerConnectionBytes: now.rssPerConnectionBytes,
				heapPerConnectionAfterGcBytes: now.heapPerConnectionAfterGcBytes
			},
			then: {
				failuresWorst: then.failuresWorst,
				p99: then.p99,
				cpuUsPerEvent:
					then.cpuSecondsPer1000Events === null ? null : then.cpuSecondsPer1000Events * 1000,
				cpuVsC: thenVsC,
				rssPerConnectionBytes: then.rssPerConnectionBytes,
				heapPerConnectionAfterGcBytes: then.heapPerConnectionAfterGcBytes ?? null
			},
			checks,
			pass: Object.values(checks).every((c) => c !== false)
		});
	}
	return rows;
}

/**
 * Issue 11's pass/fail targets for (a), as far as the runs can answer them.
 * @param {Record<string, any[]>} byScenario
 * @param {any[]} regression
 */
function targets(byScenario, regression) {
	/** @type {{group: string, target: string, value: string, pass: boolean | null}[]} */
	const out = [];
	const add = (
		/** @type {string} */ group,
		/** @type {string} */ target,
		/** @type {string} */ value,
		/** @type {boolean | null} */ pass
	) => out.push({ group, target, value, pass });
	const multiplex = byScenario.multiplex ?? [];
	const at10k = multiplex.find((s) => s.clients === TARGETS.clients);
	const a = at10k?.servers.a;
	const g10 = '10k, multiplexed';
	if (!a) add(g10, 'Live Feeds (direct path) at 10k clients', 'not measured', null);
	else {
		add(
			g10,
			'0 failures in every repetition',
			`${a.failuresWorst} (worst of ${a.reps})`,
			a.failuresWorst === 0
		);
		add(
			g10,
			`p99 ≤ ${TARGETS.p99Ms} ms`,
			`${fmtMs(a.p99)} (worst repetition ${fmtMs(a.p99Worst)})`,
			a.p99 !== null && a.p99 <= TARGETS.p99Ms
		);
		const vsC = at10k.ratios['a/c']?.cpuPerEvent ?? null;
		add(
			g10,
			`CPU per delivered event ≤ ${TARGETS.cpuVsBetterSse}× better-sse's`,
			vsC === null
				? 'not measured'
				: `${fmtUs(a.cpuUsPerEvent)} vs ${fmtUs(at10k.servers.c?.cpuUsPerEvent)}: ×${vsC.toFixed(2)}`,
			vsC === null ? null : vsC <= TARGETS.cpuVsBetterSse
		);
		add(
			g10,
			`RSS per connection ≤ ${fmtKb(TARGETS.rssPerConnectionBytes)}`,
			fmtKb(a.rssPerConnectionBytes),
			a.rssPerConnectionBytes !== null && a.rssPerConnectionBytes <= TARGETS.rssPerConnectionBytes
		);
		add(
			g10,
			`JS heap per connection after GC ≤ ${fmtKb(TARGETS.heapPerConnectionBytes)}`,
			fmtKb(a.heapPerConnectionAfterGcBytes),
			a.heapPerConnectionAfterGcBytes !== null &&
				a.heapPerConnectionAfterGcBytes <= TARGETS.heapPerConnectionBytes
		);
	}

	const stocks = (byScenario.stocks ?? []).at(-1);
	const gs = `stock feed alone${stocks ? `, ${fmtNum(stocks.clients)}` : ''}`;
	const sa = stocks?.servers.a;
	const sc = stocks?.servers.c;
	if (!sa || !sc) add(gs, 'stock feed alone against better-sse', 'not measured', null);
	else {
		const cpu = stocks.ratios['a/c']?.cpuPerEvent ?? null;
		const vsE = stocks.ratios['a/e']?.cpuPerEvent ?? null;
		add(
			gs,
			"CPU per event within 5% of better-sse's (the one-write floor)",
			cpu === null
				? 'not measured'
				: `${fmtUs(sa.cpuUsPerEvent)} vs ${fmtUs(sc.cpuUsPerEvent)}: ×${cpu.toFixed(2)}` +
						(vsE === null ? '' : `; ×${vsE.toFixed(2)} of the bare loop (e)`),
			cpu === null ? null : cpu <= TARGETS.stocksCpuVsBetterSse
		);
		const mem = stocks.ratios['a/c']?.rssPerConnectionBytes ?? null;
		const heap = stocks.ratios['a/c']?.heapPerConnectionAfterGcBytes ?? null;
		add(
			gs,
			"memory per connection ≤ 2/3 of better-sse's",
			mem === null
				? 'not measured'
				: `RSS ${fmtKb(sa.rssPerConnectionBytes)} vs ${fmtKb(sc.rssPerConnectionBytes)}: ×${mem.toFixed(2)}` +
						(heap === null
							? ''
							: `; JS heap after GC ${fmtKb(sa.heapPerConnectionAfterGcBytes)} vs ${fmtKb(sc.heapPerConnectionAfterGcBytes)}: ×${heap.toFixed(2)}`),
			mem === null ? null : mem <= TARGETS.stocksMemoryVsBetterSse
		);
	}

	const ceiling = multiplex.at(-1);
	const top = ceiling && ceiling.clients > TARGETS.clients ? ceiling.servers.a : null;
	const gc = `${top ? fmtNum(ceiling.clients) : 'ceiling'}, multiplexed`;
	if (!top) add(gc, 'at the file-descriptor ceiling', 'not measured', null);
	else {
		add(
			gc,
			'0 failures in every repetition',
			`${top.failuresWorst} (worst of ${top.reps})`,
			top.failuresWorst === 0
		);
		add(
			gc,
			'p99 reported',
			`${fmtMs(top.p99)} (worst repetition ${fmtMs(top.p99Worst)})`,
			top.p99 !== null ? true : null
		);
	}

	const idle = (byScenario.idle ?? []).at(-1);
	const ia = idle?.servers.a;
	const gi = `idle${idle ? `, ${fmtNum(idle.clients)}` : ''}`;
	if (!ia) add(gi, 'idle streams', 'not measured', null);
	else
		add(
			gi,
			`RSS per connection ≤ ${fmtKb(TARGETS.idleRssPerConnectionBytes)} (near idle: one system sample per 10 s)`,
			`${fmtKb(ia.rssPerConnectionBytes)} (JS heap after GC ${fmtKb(ia.heapPerConnectionAfterGcBytes)}); failures ${ia.failuresWorst}`,
			ia.rssPerConnectionBytes !== null &&
				ia.rssPerConnectionBytes <= TARGETS.idleRssPerConnectionBytes
		);

	const ge = 'endpoints path';
	const shown = multiplex.some((s) => s.servers['a-endpoints']);
	add(
		ge,
		'shown beside the direct path',
		shown ? 'yes, every size' : 'not measured',
		shown || null
	);
	if (regression.length === 0)
		add(ge, 'not regressed against the earlier (a)', 'no earlier results to compare', null);
	else {
		const failed = regression.filter((r) => !r.pass).map((r) => fmtNum(r.clients));
		add(
			ge,
			'not regressed against the earlier (a): failures, CPU per event vs (c), RSS per connection',
			failed.length
				? `worse at ${failed.join(', ')} clients (see the table)`
				: `no worse at ${regression.map((r) => fmtNum(r.clients)).join(', ')} clients`,
			failed.length === 0
		);
	}

	const gp = 'distance to the physical limit';
	if (a) {
		const e = at10k.servers.e;
		add(
			gp,
			'writes (syscalls) per delivered event, 10k',
			`(a) ${fmtNum(a.writeSyscallsPerEvent, 2)}; (c) ${fmtNum(at10k.servers.c?.writeSyscallsPerEvent, 2)}; (e) ${fmtNum(e?.writeSyscallsPerEvent, 2)}`,
			null
		);
		add(
			gp,
			'µs of server CPU per write against the bare loop, 10k',
			`(a) ${fmtNum(a.cpuUsPerWrite, 1)} µs; (e) ${fmtNum(e?.cpuUsPerWrite, 1)} µs` +
				(at10k.ratios['a/e']?.cpuUsPerWrite
					? `: ×${at10k.ratios['a/e'].cpuUsPerWrite.toFixed(2)}`
					: ''),
			null
		);
	}
	if (top) {
		const d = (/** @type {string} */ k) => fmtNum(ceiling.servers[k]?.deliveriesPerSecondPerCore);
		add(
			gp,
			`deliveries per second per core at saturation (${fmtNum(ceiling.clients)})`,
			`(a) ${d('a')}; (a-endpoints) ${d('a-endpoints')}; (c) ${d('c')}; (e) ${d('e')}`,
			null
		);
	}
	return out;
}

export const fmtMs = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${Math.round(v)} ms`;
export const fmtUs = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${v.toFixed(1)} µs`;
export const fmtKb = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${(v / KIB).toFixed(1)} KB`;
export const fmtMb = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `${(v / 1048576).toFixed(1)} MB`;
export const fmtRatio = (/** @type {number | null | undefined} */ v) =>
	v === null || v === undefined ? '–' : `×${v.toFixed(2)}`;
export const fmtNum = (/** @type {number | null | undefined} */ v, digits = 0) =>
	v === null || v === undefined
		? '–'
		: v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
