import { round, type RandomSource, type SystemSample } from '$lib/shared';
import type { SystemSampler } from '$lib/backend/producers/system';

/** Options of the synthetic host. */
export interface SystemSimOptions {
	/** Number of CPU cores reported. Default 4. */
	cores?: number;
	/** Total memory in MB. Default 16384. */
	memoryTotalMb?: number;
	/** Host uptime at the first sample, in seconds. Default 3 days. */
	uptimeS?: number;
}

/** A synthetic host: CPU wanders around a moving target, memory creeps up and is freed in drops. */
export interface SystemSim {
	/** The sample at `epochMs`; state advances by the time since the previous sample. */
	sample(epochMs: number): SystemSample;
}

const clamp = (value: number, min: number, max: number): number =>
	Math.min(max, Math.max(min, value));

/** Creates the synthetic host; the same `random` sequence and clock give the same samples. */
export function createSystemSim(random: RandomSource, options: SystemSimOptions = {}): SystemSim {
	const cores = options.cores ?? 4;
	const totalMb = options.memoryTotalMb ?? 16_384;
	const startUptimeS = options.uptimeS ?? 3 * 86_400;
	let cpu = 15 + random() * 20;
	let target = cpu;
	let usedMb = totalMb * (0.35 + random() * 0.1);
	const load = [(cpu / 100) * cores, (cpu / 100) * cores, (cpu / 100) * cores];
	let firstMs: number | null = null;
	let lastMs: number | null = null;

	return {
		sample(epochMs) {
			firstMs ??= epochMs;
			// Seconds since the previous sample, bounded so a long pause does not fling the walk.
			const dt = lastMs === null ? 1 : clamp((epochMs - lastMs) / 1000, 0.1, 60);
			lastMs = epochMs;

			// The target drifts and now and then jumps (a build starts, a backup ends).
			if (random() < 0.05 * dt) target = 5 + random() * 75;
			cpu = clamp(cpu + (target - cpu) * Math.min(1, 0.3 * dt) + (random() - 0.5) * 8, 0.5, 99.5);

			// Memory creeps up like a heap between collections, then a large part is freed at once.
			usedMb += (5 + random() * 60) * dt;
			if (usedMb > totalMb * 0.82 || random() < 0.01 * dt)
				usedMb = totalMb * (0.3 + random() * 0.15);

			// Load averages are exponentially damped over 1, 5 and 15 minutes, as on Linux.
			const runnable = (cpu / 100) * cores;
			[60, 300, 900].forEach((window, i) => {
				const decay = Math.exp(-dt / window);
				load[i] = load[i]! * decay + runnable * (1 - decay);
			});

			return {
				cpu_percent: round(cpu, 2),
				memory_percent: round((usedMb / totalMb) * 100, 2),
				memory_used_mb: round(usedMb, 2),
				memory_total_mb: round(totalMb, 2),
				cpu_cores: Array.from({ length: cores }, () =>
					round(clamp(cpu + (random() - 0.5) * 20, 0, 100), 2)
				),
				load_avg: [round(load[0]!, 2), round(load[1]!, 2), round(load[2]!, 2)],
				uptime_s: Math.floor(startUptimeS + (epochMs - firstMs) / 1000),
				net_rx_bytes_per_s: Math.round(20_000 + random() * 80_000 * (cpu / 50)),
				net_tx_bytes_per_s: Math.round(5_000 + random() * 30_000 * (cpu / 50)),
				epoch_ms: epochMs
			};
		}
	};
}

/** The synthetic host as the feeds' system sampler: each reading is the sim's sample at `now()`. */
export function simulatedSampler(sim: SystemSim, now: () => number): SystemSampler {
	let latest: SystemSample | null = null;
	return {
		get latest() {
			return latest;
		},
		sample: async () => (latest = sim.sample(now()))
	};
}
