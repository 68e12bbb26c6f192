/**
 * Preloaded into the server by scripts/soak.js only (`node --expose-gc --import
 * ./scripts/soak-gc.js server/index.js`, with LIVE_FEEDS_SOAK=1): SIGUSR2 runs a full GC and prints the
 * memory after it as one `[soak-gc] {json}` line, so the soak can tell a leak (heap used after GC)
 * from memory the process keeps but does not use (RSS). Production never loads this file.
 */
import process from 'node:process';
import v8 from 'node:v8';

const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
if (process.env.LIVE_FEEDS_SOAK === '1' && typeof gc === 'function') {
	process.on('SIGUSR2', () => {
		gc();
		gc();
		// V8's own malloc'd memory (compiler zones and the like) is outside the heap figures.
		const { malloced_memory: v8Malloced } = v8.getHeapStatistics();
		console.log(`[soak-gc] ${JSON.stringify({ ...process.memoryUsage(), v8Malloced })}`);
	});
}
