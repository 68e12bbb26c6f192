/**
 * The fault tests' side of stream-worker.js: forks the load-generator processes (so thousands of
 * sockets never load the test runner), sends them commands and merges their answers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./stream-worker.js', import.meta.url));

/** What a worker says of a group of streams (summed over workers by `StreamClients.state`). */
export interface GroupState {
	streams: number;
	open: number;
	endedByServer: number;
	endedWithRetry: number;
	events: number;
	minEvents: number;
	gaps: number;
	dups: number;
	resumed: number;
	lastResumedAt: number;
	bytes: number;
}

/** How an `open` went, summed over workers. */
export interface OpenResult {
	opened: number;
	failed: number;
	errors: Record<string, number>;
	ms: number;
}

/** Options of `StreamClients.open`. */
export interface OpenOptions {
	port: number;
	path: string;
	/** Streams to open; ignored when `lastEventIds` is given (one stream per id). */
	count?: number;
	/** Names the streams, for later commands. */
	group: string;
	/** One `Last-Event-ID` per stream. */
	lastEventIds?: string[];
	/** Never read the streams (stalled clients). Default false. */
	paused?: boolean;
	/** Connects in flight per worker. Default 200. */
	concurrency?: number;
	/** Per connect. Default 10000. */
	timeoutMs?: number;
	headers?: Record<string, string>;
}

/** A pool of forked stream-worker.js processes, each ended by PID in `dispose`. */
export class StreamClients {
	readonly workers: ChildProcess[];
	#next = 0;

	/** Forks `count` workers (default 2). */
	constructor(count = 2) {
		this.workers = Array.from({ length: count }, () =>
			fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
		);
	}

	/** Sends one command to one worker and waits for its answer. */
	ask<T>(worker: ChildProcess, message: object, timeoutMs = 30_000): Promise<T> {
		const id = ++this.#next;
		return new Promise((resolve, reject) => {
			const onMessage = (reply: { id?: number; error?: string }) => {
				if (reply?.id !== id) return;
				cleanup();
				if (reply.error) reject(new Error(reply.error));
				else resolve(reply as T);
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

	/** Sends the same command to every worker. */
	all<T>(message: object, timeoutMs?: number): Promise<T[]> {
		return Promise.all(this.workers.map((w) => this.ask<T>(w, message, timeoutMs)));
	}

	/** Opens streams split evenly between the workers. */
	async open(options: OpenOptions): Promise<OpenResult> {
		const n = this.workers.length;
		const ids = options.lastEventIds;
		const total = ids ? ids.length : (options.count ?? 0);
		const parts = await Promise.all(
			this.workers.map((w, i) => {
				const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
				const start = Math.floor(total / n) * i + Math.min(i, total % n);
				const mine = ids?.slice(start, start + count);
				return this.ask<OpenResult>(w, {
					cmd: 'open',
					...options,
					count,
					lastEventIds: mine,
					concurrency: Math.max(1, Math.floor((options.concurrency ?? 400) / n))
				});
			})
		);
		return sumOpen(parts);
	}

	/** The group's counters, summed over workers. */
	async state(group: string): Promise<GroupState> {
		return sumState(await this.all<GroupState>({ cmd: 'state', group }));
	}

	/** Waits until every open stream of the group has `count` events; the state then. */
	async waitEvents(
		group: string,
		count: number,
		timeoutMs = 20_000
	): Promise<GroupState & { ok: boolean }> {
		const parts = await this.all<GroupState & { ok: boolean }>(
			{ cmd: 'waitEvents', group, count, timeoutMs },
			timeoutMs + 10_000
		);
		return { ...sumState(parts), ok: parts.every((p) => p.ok) };
	}

	/** Each stream's last id, in the order they were opened per worker. */
	async lastIds(group: string): Promise<string[]> {
		const parts = await this.all<{ ids: string[] }>({ cmd: 'lastIds', group });
		return parts.flatMap((p) => p.ids);
	}

	/** Sets the positions (topic → id) a resumed stream must reach to count as resumed. */
	async target(group: string, positions: Record<string, number>): Promise<void> {
		await this.all({ cmd: 'target', group, positions });
	}

	/** Disconnects every stream of the group (the client goes away). */
	async drop(group: string): Promise<void> {
		await this.all({ cmd: 'drop', group });
	}

	/** Disconnects and forgets the group. */
	async forget(group: string): Promise<void> {
		await this.all({ cmd: 'forget', group });
	}

	/** `count` connect → first event → disconnect cycles over `paths`, split between the workers. */
	async cycles(options: {
		port: number;
		paths: string[];
		count: number;
		concurrency?: number;
		timeoutMs?: number;
	}): Promise<OpenResult> {
		const n = this.workers.length;
		const parts = await Promise.all(
			this.workers.map((w, i) =>
				this.ask<OpenResult>(
					w,
					{
						cmd: 'cycles',
						...options,
						count: Math.floor(options.count / n) + (i < options.count % n ? 1 : 0),
						concurrency: Math.max(1, Math.floor((options.concurrency ?? 100) / n))
					},
					600_000
				)
			)
		);
		return sumOpen(parts);
	}

	/** Ends every worker: disconnects, then SIGKILL by PID if one is still there after 5 s. */
	async dispose(): Promise<void> {
		await Promise.all(
			this.workers.map(
				(w) =>
					new Promise<void>((resolve) => {
						if (w.exitCode !== null || w.signalCode !== null) return resolve();
						const timer = setTimeout(() => w.pid && process.kill(w.pid, 'SIGKILL'), 5000);
						w.once('exit', () => {
							clearTimeout(timer);
							resolve();
						});
						if (w.connected) w.disconnect();
						else if (w.pid) process.kill(w.pid, 'SIGKILL');
					})
			)
		);
	}
}

function sumOpen(parts: OpenResult[]): OpenResult {
	const total: OpenResult = { opened: 0, failed: 0, errors: {}, ms: 0 };
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

function sumState(parts: GroupState[]): GroupState {
	const sum: GroupState = {
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
		for (const key of Object.keys(sum) as (keyof GroupState)[]) {
			if (key === 'minEvents') sum.minEvents = Math.min(sum.minEvents, p.minEvents);
			else if (key === 'lastResumedAt')
				sum.lastResumedAt = Math.max(sum.lastResumedAt, p.lastResumedAt);
			else sum[key] += p[key];
		}
	}
	if (sum.minEvents === Infinity) sum.minEvents = 0;
	return sum;
}
