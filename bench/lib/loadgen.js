/**
 * Drives the load-generator processes: splits the streams between them, and merges their
 * counters and histograms into one report.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './proc.js';
import { LatencyHistogram } from './stats.js';

const WORKER = fileURLToPath(new URL('./loadgen-worker.js', import.meta.url));

/**
 * @typedef {object} OpenResult
 * @property {number} opened
 * @property {number} failed
 * @property {Record<string, number>} errors
 * @property {number} ms
 */

/**
 * Counters summed over the workers (event counts by type, streams open at the end, the workers'
 * CPU seconds and RSS), the longest elapsed time, the worst worker lag, and merged histograms.
 * @typedef {object} LoadReport
 * @property {number} events
 * @property {number} bytes
 * @property {number} time
 * @property {number} system
 * @property {number} stocks
 * @property {number} ping
 * @property {number} other
 * @property {number} badPayload
 * @property {number} parseErrors
 * @property {number} droppedNormal
 * @property {number} droppedSlow
 * @property {number} openNormal
 * @property {number} openSlow
 * @property {number} cpuSeconds
 * @property {number} rssBytes
 * @property {number} elapsedMs
 * @property {number} loopLagP99Ms
 * @property {Record<'all' | 'stocks' | 'system' | 'time', LatencyHistogram>} hist
 */

/** A pool of forked load-generator processes. */
export class LoadGenerator {
	/** @param {number} workers How many processes to fork (default 2). */
	constructor(workers = 2) {
		this.workers = Array.from({ length: workers }, () => {
			const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
			trackChild(child);
			return child;
		});
		this.nextId = 0;
	}

	/**
	 * Sends one command to one worker and waits for its answer.
	 * @param {import('node:child_process').ChildProcess} worker
	 * @param {object} message
	 * @param {number} timeoutMs
	 * @returns {Promise<any>}
	 */
	ask(worker, message, timeoutMs) {
		const id = ++this.nextId;
		return new Promise((resolve, reject) => {
			const onMessage = (/** @type {any} */ reply) => {
				if (reply?.id !== id) return;
				cleanup();
				resolve(reply);
			};
			const onExit = () => {
				cleanup();
				reject(new Error('load generator exited'));
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(new Error(`load generator did not answer ${JSON.stringify(message)}`));
			}, timeoutMs);
			const cleanup = () => {
				clearTimeout(timer);
				worker.off('message', onMessage);
				worker.off('exit', onExit);
			};
			worker.on('message', onMessage);
			worker.once('exit', onExit);
			worker.send({ ...message, id });
		});
	}

	/** Sends a command to every worker. */
	all(/** @type {object} */ message, timeoutMs = 10_000) {
		return Promise.all(this.workers.map((w) => this.ask(w, message, timeoutMs)));
	}

	/**
	 * Opens `count` streams split evenly between the workers.
	 * @param {{port: number, path: string, count: number, slow?: boolean, concurrency?: number,
	 *   timeoutMs?: number, deadlineMs?: number}} o
	 * @returns {Promise<OpenResult>}
	 */
	async open(o) {
		const n = this.workers.length;
		const timeoutMs = o.timeoutMs ?? 10_000;
		const deadlineMs = o.deadlineMs ?? 20_000;
		const concurrency = Math.max(1, Math.floor((o.concurrency ?? 400) / n));
		const parts = await Promise.all(
			this.workers.map((w, i) => {
				const count = Math.floor(o.count / n) + (i < o.count % n ? 1 : 0);
				const options = {
					host: '127.0.0.1',
					port: o.port,
					path: o.path,
					count,
					slow: o.slow ?? false,
					concurrency,
					timeoutMs,
					deadlineMs
				};
				// Bounded: no connect starts after the deadline and each has its own timeout.
				return this.ask(w, { cmd: 'open', options }, deadlineMs + timeoutMs + 10_000);
			})
		);
		/** @type {OpenResult} */
		const total = { opened: 0, failed: 0, errors: {}, ms: 0 };
		for (const p of parts) {
			total.opened += p.opened;
			total.failed += p.failed;
			total.ms = Math.max(total.ms, p.ms);
			for (const [code, k] of Object.entries(p.errors))
				total.errors[code] = (total.errors[code] ?? 0) + k;
		}
		return total;
	}

	/** Starts a measurement window in every worker. */
	async reset() {
		await this.all({ cmd: 'reset' });
	}

	/**
	 * Merged counters and histograms since the last reset.
	 * @returns {Promise<LoadReport>}
	 */
	async report() {
		const parts = await this.all({ cmd: 'report' }, 30_000);
		const hist = {
			all: new LatencyHistogram(),
			stocks: new LatencyHistogram(),
			system: new LatencyHistogram(),
			time: new LatencyHistogram()
		};
		/** @type {Record<string, number>} */
		const sum = {};
		let elapsedMs = 0;
		let loopLagP99Ms = 0;
		for (const p of parts) {
			for (const [key, value] of Object.entries(p)) {
				if (typeof value === 'number' && key !== 'id') sum[key] = (sum[key] ?? 0) + value;
			}
			elapsedMs = Math.max(elapsedMs, p.elapsedMs);
			loopLagP99Ms = Math.max(loopLagP99Ms, p.loopLagP99Ms);
			for (const key of /** @type {(keyof typeof hist)[]} */ (Object.keys(hist))) {
				hist[key].addSparse(p.hist[key]);
			}
		}
		const n = (/** @type {string} */ key) => sum[key] ?? 0;
		return {
			events: n('events'),
			bytes: n('bytes'),
			time: n('time'),
			system: n('system'),
			stocks: n('stocks'),
			ping: n('ping'),
			other: n('other'),
			badPayload: n('badPayload'),
			parseErrors: n('parseErrors'),
			droppedNormal: n('droppedNormal'),
			droppedSlow: n('droppedSlow'),
			openNormal: n('openNormal'),
			openSlow: n('openSlow'),
			cpuSeconds: n('cpuSeconds'),
			rssBytes: n('rssBytes'),
			elapsedMs,
			loopLagP99Ms,
			hist
		};
	}

	/** Stops counting in every worker (the streams stay open). */
	async stop() {
		await this.all({ cmd: 'stop' });
	}

	/** Closes every stream in every worker. */
	async closeAll() {
		await this.all({ cmd: 'close' }, 30_000);
	}

	/** Ends the worker processes. */
	async dispose() {
		await Promise.all(
			this.workers.map(
				(w) =>
					new Promise((resolve) => {
						if (w.exitCode !== null || w.signalCode !== null) return resolve(undefined);
						const timer = setTimeout(() => w.pid && process.kill(w.pid, 'SIGKILL'), 5000);
						w.once('exit', () => {
							clearTimeout(timer);
							resolve(undefined);
						});
						w.disconnect();
					})
			)
		);
	}
}
