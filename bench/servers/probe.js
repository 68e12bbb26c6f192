/**
 * Preloaded into every benchmarked server (`node --expose-gc --import bench/servers/probe.js …`)
 * so event-loop lag and the JS heap after a full GC are measured the same way in all three.
 * It answers the benchmark over the IPC channel and does nothing when there is none.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (typeof process.send === 'function') {
	const delay = monitorEventLoopDelay({ resolution: 10 });
	delay.enable();
	const ms = (/** @type {number} */ ns) => (Number.isFinite(ns) ? ns / 1e6 : null);
	process.on('message', (/** @type {any} */ message) => {
		if (!message || typeof message !== 'object') return;
		if (message.cmd === 'lag-reset') {
			delay.reset();
			process.send?.({ id: message.id });
		} else if (message.cmd === 'lag') {
			process.send?.({
				id: message.id,
				p50: ms(delay.percentile(50)),
				p99: ms(delay.percentile(99)),
				max: ms(delay.max),
				mean: ms(delay.mean)
			});
		} else if (message.cmd === 'gc') {
			// Memory after a full collection (the server runs with --expose-gc): what the streams
			// hold, without the garbage that happens to be waiting for the next GC.
			const gc = /** @type {any} */ (globalThis).gc;
			if (typeof gc === 'function') {
				gc();
				gc();
			}
			process.send?.({
				id: message.id,
				collected: typeof gc === 'function',
				heapUsedBytes: process.memoryUsage().heapUsed
			});
		} else if (message.cmd === 'exit') {
			// A normal exit, so `--cpu-prof` writes its profile.
			process.exit(0);
		}
	});
}
