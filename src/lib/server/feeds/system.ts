import type { SystemSample } from '$lib/shared/contract';
import { round } from '$lib/shared/numbers';
import type { SystemSampler } from '$lib/streaming/feeds/system';
import type { Clock } from '$lib/streaming/timers';

export type { SystemSampler };

type SystemInformation = typeof import('systeminformation');

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

/**
 * The real sampler over `systeminformation` (an optional dependency, loaded on first use).
 * Call `sample()` once at start-up: the first CPU and network readings need a baseline.
 */
export function createSystemSampler(clock: Clock): SystemSampler {
	let latest: SystemSample | null = null;
	let pending: Promise<SystemSample> | null = null;
	let si: Promise<SystemInformation> | null = null;
	// '*' makes systeminformation look the interfaces up and read loopback too, a shell each per
	// sample; after the first reading only the external interfaces are asked for.
	let interfaces = '*';
	const settle = <T>(promise: Promise<T>): Promise<T | null> => promise.catch(() => null);
	const read = async (): Promise<SystemSample> => {
		si ??= import('systeminformation').then((m) => (m.default ?? m) as SystemInformation);
		const lib = await si;
		const os = await import('node:os');
		const [load, mem, net] = await Promise.all([
			settle(lib.currentLoad()),
			settle(lib.mem()),
			settle(lib.networkStats(interfaces))
		]);
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
