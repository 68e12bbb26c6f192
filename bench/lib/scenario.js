/**
 * One measurement: a fresh server, N streams (and optionally slow ones), a warm-up, a timed
 * window, then everything closed and the server killed.
 */
import os from 'node:os';
import {
	freePort,
	httpGet,
	readMachineCpu,
	readProcIo,
	readProcStat,
	sleep,
	startServer,
	stopServer
} from './proc.js';

/** The multiplexed stream: the default scenario. */
export const STREAM_PATH = '/api/feeds?topics=time,system,stocks';

/**
 * @typedef {object} MeasureOptions
 * @property {import('./proc.js').ServerSpec} spec
 * @property {import('./loadgen.js').LoadGenerator} loadgen
 * @property {number} normal Streams that read everything.
 * @property {string} [scenario] Name of the scenario (`multiplex`, `stocks`, `idle`; default `multiplex`).
 * @property {string} [path] The stream every client opens (default STREAM_PATH).
 * @property {Record<string, string>} [env] Extra environment of the server for this scenario.
 * @property {number} [slow] Streams that never read (default 0).
 * @property {number} windowMs Length of the measurement window.
 * @property {number} warmupMs Time between the last connect and the window.
 * @property {number} [idleMs] Settling time before the idle RSS sample (default 1000).
 * @property {string[]} [nodeArgs] Extra node flags for the server (e.g. `--cpu-prof`).
 */

/**
 * Runs one measurement and returns its figures; the server is always stopped.
 * @param {MeasureOptions} o
 */
export async function measure(o) {
	const port = await freePort();
	const server = await startServer(o.spec, { port, nodeArgs: o.nodeArgs, env: o.env });
	const streamPath = o.path ?? STREAM_PATH;
	const slow = o.slow ?? 0;
	try {
		await sleep(o.idleMs ?? 1000);
		const idle = readProcStat(server.pid);
		const idleGc = await server.ask({ cmd: 'gc' }, 15_000).catch(() => null);
		// 20 s to start every connect, as before, and 2 ms per stream past 10k: the ceiling's 19.8k
		// would otherwise fail on the ramp's pace (about 1,000 connects/s) rather than on holding.
		const deadlineMs = Math.max(20_000, o.normal * 2);
		const openedNormal = await o.loadgen.open({
			port,
			path: streamPath,
			count: o.normal,
			deadlineMs
		});
		const openedSlow = slow
			? await o.loadgen.open({ port, path: streamPath, count: slow, slow: true })
			: null;
		await sleep(o.warmupMs);

		await o.loadgen.reset();
		// A saturated server may not answer in time; its lag is then unknown, not zero.
		const probeOk = await server.ask({ cmd: 'lag-reset' }, 15_000).then(
			() => true,
			() => false
		);
		// The server's own counters first: the scrape's few writes then fall before the window.
		const countersBefore = await scrapeCounters(port);
		const ioBefore = readProcIo(server.pid);
		const before = readProcStat(server.pid);
		const machineBefore = readMachineCpu();
		const startedAt = Date.now();
		/** @type {number[]} */
		const rssSeries = [];
		const steps = Math.max(1, Math.round(o.windowMs / 500));
		for (let i = 0; i < steps; i++) {
			await sleep(500);
			rssSeries.push(readProcStat(server.pid).rssBytes);
		}
		const after = readProcStat(server.pid);
		const ioAfter = readProcIo(server.pid);
		const machineAfter = readMachineCpu();
		const serverSeconds = (Date.now() - startedAt) / 1000;
		const countersAfter = await scrapeCounters(port);
		const lag = probeOk ? await server.ask({ cmd: 'lag' }, 15_000).catch(() => null) : null;
		const load = await o.loadgen.report();
		const metrics = await scrapeMetrics(port);

		const held = load.openNormal ?? 0;
		// After everything else was read: a full GC on a loaded server pauses it.
		const loadGc = await server.ask({ cmd: 'gc' }, 15_000).catch(() => null);
		const heapAfterGc =
			held && idleGc?.collected && loadGc?.collected
				? (loadGc.heapUsedBytes - idleGc.heapUsedBytes) / held
				: null;
		const events = load.events ?? 0;
		const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
		// Write-family syscalls of the whole process (all threads): socket writes, plus a few on
		// the IPC channel and the log; /proc/<pid>/io may be unreadable, then null.
		const syscalls = ioBefore && ioAfter ? ioAfter.syscw - ioBefore.syscw : null;
		const appWrites =
			countersBefore && countersAfter ? countersAfter.writes - countersBefore.writes : null;
		const appDeliveries =
			countersBefore && countersAfter ? countersAfter.deliveries - countersBefore.deliveries : null;
		const cpuCores = cpuSeconds / serverSeconds;
		const failures = openedNormal.failed + (openedNormal.opened - held);
		const machineBusy = machineAfter.busySeconds - machineBefore.busySeconds;
		const machineCores = (machineAfter.totalSeconds - machineBefore.totalSeconds) / serverSeconds;
		return {
			server: o.spec.key,
			scenario: o.scenario ?? 'multiplex',
			path: streamPath,
			clients: o.normal,
			slowClients: slow,
			held,
			failures,
			connectErrors: openedNormal.errors,
			rampMs: openedNormal.ms,
			slowOpened: openedSlow?.opened ?? 0,
			slowHeldAtEnd: load.openSlow ?? 0,
			slowDropped: openedSlow ? openedSlow.opened - (load.openSlow ?? 0) : 0,
			events,
			eventsPerSecond: events / (load.elapsedMs / 1000),
			eventsPerClientPerSecond: held ? events / (load.elapsedMs / 1000) / held : null,
			byType: {
				time: load.time,
				system: load.system,
				stocks: load.stocks,
				ping: load.ping,
				other: load.other
			},
			badPayload: load.badPayload ?? 0,
			parseErrors: load.parseErrors ?? 0,
			latencyMs: {
				p50: load.hist.all.percentile(50),
				p99: load.hist.all.percentile(99),
				max: load.hist.all.percentile(100),
				samples: load.hist.all.count,
				stocksP99: load.hist.stocks.percentile(99),
				systemP99: load.hist.system.percentile(99),
				timeVsSecondP99: load.hist.time.percentile(99),
				negative: load.hist.all.negative
			},
			serverCpuSeconds: cpuSeconds,
			serverCpuPercent: (cpuSeconds / serverSeconds) * 100,
			cpuSecondsPer1000Events: events ? cpuSeconds / (events / 1000) : null,
			cpuMsPerEvent: events ? (cpuSeconds * 1000) / events : null,
			writeSyscalls: syscalls,
			writeSyscallsPerEvent: events && syscalls !== null ? syscalls / events : null,
			cpuUsPerWrite: syscalls ? (cpuSeconds * 1e6) / syscalls : null,
			appWrites,
			appDeliveries,
			appWritesPerDelivery: appWrites !== null && appDeliveries ? appWrites / appDeliveries : null,
			deliveriesPerSecondPerCore: cpuCores > 0 ? events / (load.elapsedMs / 1000) / cpuCores : null,
			rssIdleBytes: idle.rssBytes,
			rssLoadBytes: after.rssBytes,
			rssPeakBytes: Math.max(...rssSeries),
			rssSeriesMb: rssSeries.map((b) => Math.round(b / 1048576)),
			rssPerConnectionBytes: held ? (after.rssBytes - idle.rssBytes) / held : null,
			heapPerConnectionAfterGcBytes: heapAfterGc,
			eventLoopLagMs: lag ? { p50: lag.p50, p99: lag.p99, max: lag.max, mean: lag.mean } : null,
			metrics,
			// What else ran: CPU of every other process on the machine during the window, in cores.
			machine: {
				loadAvg1: os.loadavg()[0],
				busyCores: machineBusy / serverSeconds,
				otherCores: Math.max(0, (machineBusy - cpuSeconds - load.cpuSeconds) / serverSeconds),
				cores: machineCores
			},
			loadgen: {
				cpuSeconds: load.cpuSeconds,
				loopLagP99Ms: load.loopLagP99Ms,
				rssBytes: load.rssBytes
			}
		};
	} catch (error) {
		const text = error instanceof Error ? error.message : String(error);
		throw new Error(
			`${o.spec.name}, ${o.normal} clients: ${text}\n--- server log ---\n${server.log()}`,
			{ cause: error }
		);
	} finally {
		await o.loadgen.closeAll().catch(() => {});
		await stopServer(server);
	}
}

/**
 * Reads `/metrics` when the server has it: the event-loop lag of prom-client's default metrics and
 * any slow-client or connection counters, kept as raw lines for the report.
 */
async function scrapeMetrics(/** @type {number} */ port) {
	const response = await httpGet(port, '/metrics', 5000).catch(() => null);
	if (!response || response.status !== 200) return null;
	const lines = response.body.split('\n').filter((l) => l && !l.startsWith('#'));
	const pick = (/** @type {RegExp} */ re) => lines.filter((l) => re.test(l));
	const lagP99 = pick(/^nodejs_eventloop_lag_p99_seconds\b/)[0];
	return {
		eventLoopLagP99Ms: lagP99 ? Number(lagP99.split(' ').pop()) * 1000 : null,
		lines: pick(/slow|drop|connection|open/i).slice(0, 40)
	};
}

/**
 * The server's fan-out counters from `/metrics` (Live Feeds only): `live_feeds_writes_total` and
 * `live_feeds_events_sent_total` (deliveries), summed over feeds; null when the server has none.
 */
async function scrapeCounters(/** @type {number} */ port) {
	const response = await httpGet(port, '/metrics', 5000).catch(() => null);
	if (!response || response.status !== 200) return null;
	const sum = (/** @type {string} */ name) => {
		const re = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)$`);
		/** @type {number | null} */
		let total = null;
		for (const l of response.body.split('\n')) {
			const m = re.exec(l);
			if (m) total = (total ?? 0) + Number(m[1]);
		}
		return total;
	};
	const writes = sum('live_feeds_writes_total');
	const deliveries = sum('live_feeds_events_sent_total');
	return writes === null || deliveries === null ? null : { writes, deliveries };
}
