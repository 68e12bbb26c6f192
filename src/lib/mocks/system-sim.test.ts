import { describe, expect, test } from 'vitest';
import { seededRandom } from '$lib/shared';
import { createSystemSim } from './system-sim';

const run = (seed: number, seconds: number) => {
	const sim = createSystemSim(seededRandom(seed));
	return Array.from({ length: seconds }, (_, i) => sim.sample(1_795_356_202_000 + i * 1000));
};

describe('createSystemSim', () => {
	test('the same seed gives the same samples', () => {
		expect(run(42, 50)).toEqual(run(42, 50));
		expect(run(42, 50)).not.toEqual(run(43, 50));
	});

	test('samples are plausible: bounded CPU, consistent memory, rounded as the contract says', () => {
		for (const s of run(1, 600)) {
			expect(s.cpu_percent).toBeGreaterThanOrEqual(0);
			expect(s.cpu_percent).toBeLessThanOrEqual(100);
			expect(s.memory_percent).toBeCloseTo(
				((s.memory_used_mb ?? 0) / (s.memory_total_mb ?? 1)) * 100,
				1
			);
			expect(s.cpu_cores).toHaveLength(4);
			expect(s.load_avg).toHaveLength(3);
			expect(Number.isInteger(s.uptime_s)).toBe(true);
			expect(s.cpu_percent).toBe(Math.round((s.cpu_percent ?? 0) * 100) / 100);
		}
	});

	test('CPU wanders and memory grows, then drops', () => {
		const samples = run(7, 900);
		const cpu = samples.map((s) => s.cpu_percent ?? 0);
		expect(Math.max(...cpu) - Math.min(...cpu)).toBeGreaterThan(20);
		const memory = samples.map((s) => s.memory_used_mb ?? 0);
		const rises = memory.filter((m, i) => i > 0 && m > memory[i - 1]!).length;
		const drops = memory.filter((m, i) => i > 0 && m < memory[i - 1]! - 1000).length;
		expect(rises).toBeGreaterThan(memory.length * 0.8);
		expect(drops).toBeGreaterThan(0);
	});
});
