import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SystemSample } from '$lib/shared/contract';
import { round } from '$lib/shared/numbers';
import type { SystemSampler } from '$lib/backend/producers/system';
import type { Clock } from '$lib/backend/timers';

export type { SystemSampler };

const MB = 1024 * 1024;
const finite = (value: unknown): number | null =>
	typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Turns `systeminformation` readings into the contract's sample; what the host cannot give is `null`. */
export function toSystemSample(
	readings: {
		load: { currentLoad?: number; cpus?: { load?: number }[] } | null;
		mem: { total?: number; available?: number } | null;
		net: { iface: string; rx_sec?: number | null; tx_sec?: number | null }[] | null;
		uptime: number | null;
		loadAvg: number[] | null;
	},
	epochMs: number
): SystemSample {
	const total = finite(readings.mem?.total);
	const available = finite(readings.mem?.available);
	const used = total !== null && available !== null ? total - available : null;
	const cores = readings.load?.cpus?.map((c) => finite(c.load));
	const external = readings.net?.filter((n) => n.iface !== 'lo') ?? [];
	const rate = (key: 'rx_sec' | 'tx_sec') => {
		const values = external.map((n) => finite(n[key]));
		// systeminformation has no rate before its second reading: null, never a made-up 0.
		if (values.length === 0 || values.some((v) => v === null)) return null;
		return Math.round(values.reduce<number>((sum, v) => sum + (v ?? 0), 0));
	};
	const cpu = finite(readings.load?.currentLoad);
	const avg = readings.loadAvg?.map(finite);
	return {
		cpu_percent: cpu === null ? null : round(cpu, 2),
		memory_percent: used !== null && total ? round((used / total) * 100, 2) : null,
		memory_used_mb: used === null ? null : round(used / MB, 2),
		memory_total_mb: total === null ? null : round(total / MB, 2),
		cpu_cores:
			cores && cores.length > 0 && cores.every((c) => c !== null)
				? cores.map((c) => round(c ?? 0, 2))
				: null,
		load_avg:
			avg && avg.length === 3 && avg.every((v) => v !== null)
				? [round(avg[0]!, 2), round(avg[1]!, 2), round(avg[2]!, 2)]
				: null,
		uptime_s: readings.uptime === null ? null : Math.floor(readings.uptime),
		net_rx_bytes_per_s: rate('rx_sec'),
		net_tx_bytes_per_s: rate('tx_sec'),
		epoch_ms: epochMs
	};
}

/** What one sample reads from `systeminformation`; a reading that failed is `null`. */
export type HostReadings = Pick<Parameters<typeof toSystemSample>[0], 'load' | 'mem' | 'net'>;

/** Reads CPU load, memory and the network rates of `interfaces` ('*' = every interface). */
export type HostReader = (interfaces: string) => Promise<HostReadings>;

// The worker's whole program. CommonJS, so that it runs from a string (`eval`) and needs no file of
// its own next to the bundled server; systeminformation is resolved by the main thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const si = require(workerData.systeminformation);
const settle = (promise) => promise.catch(() => null);
parentPort.on('message', async ({ id, interfaces }) => {
	const [load, mem, net] = await Promise.all([
		settle(si.currentLoad()),
		settle(si.mem()),
		settle(si.networkStats(interfaces))
	]);
	parentPort.postMessage({ id, readings: { load, mem, net } });
});
`;

/**
 * Reads the host with `systeminformation` (an optional dependency) in a worker thread. On Linux
 * `currentLoad()` runs a blocking `execSync` on every call; in the worker it never stalls the
 * event loop that serves the streams. The worker starts on the first read, keeps the process
 * alive only while a read is in flight, and is started again after a crash; `close()` ends it.
 */
export function hostReaderInWorker(): HostReader & { close(): Promise<void> } {
	type Waiting = Map<number, { resolve(r: HostReadings): void; reject(e: unknown): void }>;
	let running: { thread: Worker; waiting: Waiting } | null = null;
	let nextId = 0;
	const start = () => {
		const systeminformation = createRequire(import.meta.url).resolve('systeminformation');
		const thread = new Worker(WORKER_SOURCE, { eval: true, workerData: { systeminformation } });
		// Each worker answers only the reads sent to it, so a late 'exit' of an old one cannot fail
		// the reads of its successor.
		const waiting: Waiting = new Map();
		const self = { thread, waiting };
		thread.on('message', ({ id, readings }: { id: number; readings: HostReadings }) => {
			waiting.get(id)?.resolve(readings);
			waiting.delete(id);
			if (waiting.size === 0) thread.unref();
		});
		const fail = (error: unknown) => {
			if (running === self) running = null;
			for (const { reject } of waiting.values()) reject(error);
			waiting.clear();
		};
		thread.on('error', fail);
		thread.on('exit', (code) => fail(new Error(`system sampler worker exited (${code})`)));
		// Only a read in flight keeps the process alive (as a file read would): an idle worker
		// must not hold it open on SIGTERM. After the listeners, which ref the worker again.
		thread.unref();
		return self;
	};
	const read = async (interfaces: string) => {
		const { thread, waiting } = (running ??= start());
		const id = nextId++;
		return new Promise<HostReadings>((resolve, reject) => {
			waiting.set(id, { resolve, reject });
			thread.ref();
			thread.postMessage({ id, interfaces });
		});
	};
	return Object.assign(read, {
		async close() {
			const stopping = running;
			running = null;
			await stopping?.thread.terminate();
		}
	});
}

/**
 * The real sampler: readings from `readHost` (by default `systeminformation` in a worker thread),
 * uptime and load average from `node:os`. Call `sample()` once at start-up: the first CPU and
 * network readings need a baseline.
 */
export function createSystemSampler(
	clock: Clock,
	readHost: HostReader = hostReaderInWorker()
): SystemSampler {
	let latest: SystemSample | null = null;
	let pending: Promise<SystemSample> | null = null;
	// '*' makes systeminformation look the interfaces up and read loopback too, a shell each per
	// sample; after the first reading only the external interfaces are asked for.
	let interfaces = '*';
	const read = async (): Promise<SystemSample> => {
		const { load, mem, net } = await readHost(interfaces);
		const external = net?.map((n) => n.iface).filter((name) => name !== 'lo') ?? [];
		if (interfaces === '*' && external.length > 0) interfaces = external.join(',');
		// systeminformation's time().uptime is os.uptime(), but time() also runs a blocking shell
		// (`date`, for the time zone) on every call; read the uptime straight from os instead.
		const uptime = finite(os.uptime());
		latest = toSystemSample({ load, mem, net, uptime, loadAvg: os.loadavg() }, clock.now());
		return latest;
	};
	return {
		get latest() {
			return latest;
		},
		sample() {
			pending ??= read().finally(() => (pending = null));
			return pending;
		}
	};
}
