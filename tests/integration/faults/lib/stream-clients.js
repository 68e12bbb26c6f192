/**
 * The driving side of stream-worker.js, for the fault tests and scripts/soak.js: forks the
 * load-generator processes (so thousands of sockets never load the test runner), sends them
 * commands and merges their answers.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./stream-worker.js', import.meta.url));

/**
 * What the workers say of a group of streams, summed over them.
 * @typedef {object} GroupState
 * @property {number} streams
 * @property {number} open
 * @property {number} endedByServer
 * @property {number} endedWithRetry
 * @property {number} events
 * @property {number} minEvents
 * @property {number} gaps
 * @property {number} dups
 * @property {number} resumed
 * @property {number} lastResumedAt
 * @property {number} bytes
 */

/**
 * How an `open` (or `cycles`) went, summed over the workers.
 * @typedef {object} OpenResult
 * @property {number} opened
 * @property {number} failed
 * @property {Record<string, number>} errors
 * @property {number} ms
 */

/**
 * Options of `StreamClients.open`.
 * @typedef {object} OpenOptions
 * @property {number} port
 * @property {string} path
 * @property {string} group names the streams, for later commands
 * @property {number} [count] streams to open; ignored with `lastEventIds` (one stream per id)
 * @property {string[]} [lastEventIds] one `Last-Event-ID` per stream
 * @property {boolean} [paused] never read the streams (stalled clients); default false
 * @property {number} [concurrency] connects in flight in all; default 400
 * @property {number} [timeoutMs] per connect; default 10000
 * @property {Record<string, string>} [headers]
 */

/** A pool of forked stream-worker.js processes, each ended by PID in `dispose`. */
export class StreamClients {
	/** Forks `count` workers (default 2). */
	constructor(count = 2) {
		this.workers = Array.from({ length: count }, () =>
			fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
		);
		this.next = 0;
	}

	/**
	 * Sends one command to one worker and waits for its answer.
	 * @template T
	 * @param {import('node:child_process').ChildProcess} worker
	 * @param {object} message
	 * @returns {Promise<T>}
	 */
	ask(worker, message, timeoutMs = 30_000) {
		const id = ++this.next;
		return new Promise((resolve, reject) => {
			const onMessage = (/** @type {any} */ reply) => {
				if (reply?.id !== id) return;
				cleanup();
				if (reply.error) reject(new Error(reply.error));
				else resolve(reply);
			};
			const onExit = () => {
				cleanup();
				reject(new Error('stream worker exited'));
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(new Error(`stream worker did not answer ${JSON.stringify(message)}`));
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

	/**
	 * Sends the same command to every worker.
	 * @template T
	 * @param {object} message
	 * @param {number} [timeoutMs]
	 * @returns {Promise<T[]>}
	 */
	all(message, timeoutMs) {
		return Promise.all(this.workers.map((w) => this.ask(w, message, timeoutMs)));
	}

	/**
	 * Opens streams split evenly between the workers.
	 * @param {OpenOptions} options
	 * @returns {Promise<OpenResult>}
	 */
	async open(options) {
		const n = this.workers.length;
		const ids = options.lastEventIds;
		const total = ids ? ids.length : (options.count ?? 0);
		const parts = await Promise.all(
			this.workers.map((w, i) => {
				const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
				const start = Math.floor(total / n) * i + Math.min(i, total % n);
				return /** @type {Promise<OpenResult>} */ (
					this.ask(
						w,
						{
							cmd: 'open',
							...options,
							count,
							lastEventIds: ids?.slice(start, start + count),
							concurrency: Math.max(1, Math.floor((options.concurrency ?? 400) / n))
						},
						// Bounded by each connect's own timeout; a loaded machine is slow, not broken.
						600_000
					)
				);
			})
		);
		return sumOpen(parts);
	}

	/**
	 * The group's counters, summed over the workers.
	 * @param {string} group
	 * @returns {Promise<GroupState>}
	 */
	async state(group) {
		return sumState(await this.all({ cmd: 'state', group }));
	}

	/**
	 * Waits until every open stream of the group has `count` events; the state then.
	 * @param {string} group
	 * @param {number} count
	 * @returns {Promise<GroupState & { ok: boolean }>}
	 */
	async waitEvents(group, count, timeoutMs = 20_000) {
		/** @type {(GroupState & { ok: boolean })[]} */
		const parts = await this.all(
			{ cmd: 'waitEvents', group, count, timeoutMs },
			timeoutMs + 10_000
		);
		return { ...sumState(parts), ok: parts.every((p) => p.ok) };
	}

	/**
	 * Each stream's last id, worker by worker in the order they were opened.
	 * @param {string} group
	 * @returns {Promise<string[]>}
	 */
	async lastIds(group) {
		/** @type {{ ids: string[] }[]} */
		const parts = await this.all({ cmd: 'lastIds', group });
		return parts.flatMap((p) => p.ids);
	}

	/**
	 * Sets the positions (topic → id) a resumed stream must reach to count as resumed.
	 * @param {string} group
	 * @param {Record<string, number>} positions
	 */
	async target(group, positions) {
		await this.all({ cmd: 'target', group, positions });
	}

	/** Disconnects every stream of the group (the clients go away); their counters stay. */
	async drop(/** @type {string} */ group) {
		await this.all({ cmd: 'drop', group });
	}

	/** Disconnects and forgets the group. */
	async forget(/** @type {string} */ group) {
		await this.all({ cmd: 'forget', group });
	}

	/**
	 * `count` connect → first event → disconnect cycles over `paths`, split between the workers.
	 * @param {{port: number, paths: string[], count: number, concurrency?: number, timeoutMs?: number}} options
	 * @returns {Promise<OpenResult>}
	 */
	async cycles(options) {
		const n = this.workers.length;
		const parts = await Promise.all(
			this.workers.map(
				(w, i) =>
					/** @type {Promise<OpenResult>} */ (
						this.ask(
							w,
							{
								cmd: 'cycles',
								...options,
								count: Math.floor(options.count / n) + (i < options.count % n ? 1 : 0),
								concurrency: Math.max(1, Math.floor((options.concurrency ?? 100) / n))
							},
							3_600_000
						)
					)
			)
		);
		return sumOpen(parts);
	}

	/** Ends every worker: disconnects, then SIGKILL by PID if one is still there after 5 s. */
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
						if (w.connected) w.disconnect();
						else if (w.pid) process.kill(w.pid, 'SIGKILL');
					})
			)
		);
	}
}

/** @param {OpenResult[]} parts */
function sumOpen(parts) {
	/** @type {OpenResult} */
	const total = { opened: 0, failed: 0, errors: {}, ms: 0 };
	for (const p of parts) {
		total.opened += p.opened;
		total.failed += p.failed;
		total.ms = Math.max(total.ms, p.ms);
		for (const [code, k] of Object.entries(p.errors)) {
			total.errors[code] = (total.errors[code] ?? 0) + k;
		}
	}
	return total;
}

/** @param {GroupState[]} parts */
function sumState(parts) {
	/** @type {GroupState} */
	const sum = {
		streams: 0,
		open: 0,
		endedByServer: 0,
		endedWithRetry: 0,
		events: 0,
		minEvents: Infinity,
		gaps: 0,
		dups: 0,
		resumed: 0,
		lastResumedAt: 0,
		bytes: 0
	};
	for (const p of parts) {
		sum.streams += p.streams;
		sum.open += p.open;
		sum.endedByServer += p.endedByServer;
		sum.endedWithRetry += p.endedWithRetry;
		sum.events += p.events;
		sum.minEvents = Math.min(sum.minEvents, p.minEvents);
		sum.gaps += p.gaps;
		sum.dups += p.dups;
		sum.resumed += p.resumed;
		sum.lastResumedAt = Math.max(sum.lastResumedAt, p.lastResumedAt);
		sum.bytes += p.bytes;
	}
	if (sum.minEvents === Infinity) sum.minEvents = 0;
	return sum;
}
