/**
 * Preloaded into every benchmarked server (`node --import bench/servers/probe.js …`) so
 * event-loop lag is measured the same way in all three, whether or not a server exposes it.
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
		} else if (message.cmd === 'exit') {
			// A normal exit, so `--cpu-prof` writes its profile.
			process.exit(0);
		}
	});
}
