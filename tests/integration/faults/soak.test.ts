/**
 * The short version of `npm run soak` (scripts/soak.js) that CI runs: 2,000 connect/disconnect
 * cycles, then 30 s at 200 clients with stalled and flapping ones mixed in, against the built
 * server. The script checks and records the figures; this asserts its verdict and the figures that
 * matter. The full run (100,000 cycles, 10 minutes at 2,000 clients) is `npm run soak`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = fileURLToPath(new URL('./results/soak-ci.json', import.meta.url));

it('leaves no stream, producer, timer or heap growth after 2,000 cycles and 30 s of mixed clients', async () => {
	const child = spawn(
		process.execPath,
		[
			'scripts/soak.js',
			...['--cycles', '2000', '--minutes', '0.5', '--clients', '200', '--stalled', '10'],
			...['--flapping', '20', '--stall-ms', '2000', '--warmup-rounds', '1'],
			// A short run cannot warm V8's young generation up to its plateau: check the heap used.
			...['--leak-by', 'heap', '--out', OUT, '--quiet']
		],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
	);
	let output = '';
	child.stdout.on('data', (d) => (output += d));
	child.stderr.on('data', (d) => (output += d));
	const code = await new Promise<number | null>((resolve) => {
		const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 280_000);
		child.once('exit', (c) => {
			clearTimeout(timer);
			resolve(c);
		});
	});
	const figures = JSON.parse(readFileSync(OUT, 'utf8')) as {
		failures: string[];
		cycles: Record<string, number>;
		mixed: Record<string, number>;
	};
	expect(figures.failures, output).toEqual([]);
	expect(code).toBe(0);
	expect(figures.cycles).toMatchObject({
		cycles: 2000,
		failed: 0,
		connections_after: 0,
		producers_after: 0,
		timers_after: 0
	});
	expect(figures.cycles.heap_used_growth_mb).toBeLessThanOrEqual(10);
	expect(figures.mixed).toMatchObject({
		steady_gaps: 0,
		steady_dups: 0,
		steady_dropped_by_server: 0,
		flap_gaps: 0,
		flap_dups: 0,
		connections_after: 0,
		producers_after: 0,
		timers_after: 0
	});
	expect(figures.mixed.flap_resumes).toBeGreaterThan(0);
}, 300_000);
