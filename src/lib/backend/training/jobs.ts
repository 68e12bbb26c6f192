import type {
	TrainingJobInfo,
	TrainingOptions,
	TrainingProgress,
	TrainingState
} from '$lib/shared/contract';
import { trainingEventsPath } from '$lib/shared/contract';
import { apiFailure, type ApiFailure } from '$lib/shared/errors';
import { encodeEvent } from '$lib/shared/sse';
import { trainingCancelled, trainingPlan, type TrainingPlan } from '$lib/shared/training';
import type { FanOutTally } from '../fan-out';
import type { MaybePromise } from '../maybe-promise';
import { toBytes, type SseConnection } from '../sse/connection';
import type { Clock, TimerHandle } from '../timers';

/** Limits of the job store. */
export interface JobLimits {
	/** Running jobs at once; one more is `429`. */
	maxRunning: number;
	/** How long a finished job is kept before it is forgotten (`404`). */
	ttlMs: number;
	/** Stretches every step, read before each one. Default 1. */
	slowFactor?: () => number;
	/** Told what every job writes to its clients, live and replayed (for metrics). */
	onSent?: (tally: FanOutTally) => void;
}

/** One event of a job as it happens: a `progress` event, or its terminal event. */
export interface JobEvent {
	id: number;
	event: 'progress' | 'complete' | 'cancelled';
	data: unknown;
}

/**
 * One job's events as its clients see them: the newest event, the state, and the streams that
 * watch it. Events are computed from the plan, so a replay of any length costs no stored log.
 * What drives it (its own timers here, a job run on another instance through Redis) calls
 * `apply` with each event as it happens.
 */
export class JobEvents {
	/** The id of the newest event (the terminal event's once finished). */
	seq = 0;
	state: TrainingState = 'running';
	readonly #clients = new Set<SseConnection>();
	#terminal: Uint8Array | null = null;
	/** `progress` events emitted; fewer than the plan's when cancelled. */
	#progressed = 0;

	constructor(
		readonly id: string,
		readonly plan: TrainingPlan,
		/** When the job was created, ms since the epoch. */
		readonly createdAt: number,
		readonly onSent: (tally: FanOutTally) => void = () => {}
	) {}

	/** The id of the job's last event (`complete` or `cancelled`). */
	get terminalId(): number {
		return this.plan.progressCount + 1;
	}

	/** The newest `progress` payload, or null before the first. */
	get progress(): TrainingProgress | null {
		return lastProgress(this.plan, this.#progressed);
	}

	/** Streams watching the job now. */
	get watchers(): number {
		let open = 0;
		for (const client of this.#clients) if (!client.closed) open++;
		return open;
	}

	/** The job as listed by `GET /api/training`. */
	info(): TrainingJobInfo {
		return jobInfo(this.id, this.state, this.createdAt, this.progress);
	}

	/** The event that follows the newest one in the plan, at `now`: a progress event or `complete`. */
	nextEvent(now: number): JobEvent {
		const id = this.seq + 1;
		if (id <= this.plan.progressCount) {
			return { id, event: 'progress', data: this.plan.progressAt(id) };
		}
		return {
			id: this.terminalId,
			event: 'complete',
			data: this.plan.complete(now - this.createdAt)
		};
	}

	/** The `cancelled` event, were the job cancelled at `now`. */
	cancelEvent(now: number): JobEvent {
		return cancelledEvent(this.plan, this.createdAt, now);
	}

	/** How long to wait before the next event, every step stretched by `slowFactor`. */
	delayToNext(slowFactor = 1): number {
		return this.plan.delayBefore(this.seq + 1) * slowFactor;
	}

	/**
	 * Takes the job's next event as it happens and sends it to every live client. A progress event
	 * further on than the next sends the ones between too (computed from the plan), so a client
	 * never sees a gap; an event at or before the newest is ignored.
	 */
	apply(event: JobEvent): void {
		if (this.state !== 'running' || event.id <= this.seq) return;
		if (event.event === 'progress') {
			const last = Math.min(event.id, this.plan.progressCount);
			while (this.seq < last) {
				this.#progressed = ++this.seq;
				this.#broadcast(this.#bytes(this.seq));
			}
			return;
		}
		this.state = event.event;
		this.seq = this.terminalId;
		this.#terminal = toBytes(encodeEvent({ event: event.event, id: this.seq, data: event.data }));
		this.#broadcast(this.#terminal);
		for (const client of this.#clients) {
			if (!client.replaying) client.close('end');
		}
	}

	/**
	 * Sets where a job that ran elsewhere stands, before anyone watches it: `progressed` progress
	 * events so far, then its terminal event if it has ended.
	 */
	restore(progressed: number, terminal: JobEvent | null): void {
		this.#progressed = this.seq = Math.min(progressed, this.plan.progressCount);
		if (terminal) this.apply(terminal);
	}

	/** True when a client that last saw `lastEventId` has seen the whole finished job (answer `204`). */
	isSeenToEnd(lastEventId: number | null): boolean {
		return this.state !== 'running' && lastEventId === this.seq;
	}

	/**
	 * Streams the job to a client from after `lastEventId` (from the first event without one; from
	 * the newest event for an id we never issued), then live, and closes after the terminal event.
	 */
	join(connection: SseConnection, lastEventId: number | null): () => void {
		const known = lastEventId !== null && lastEventId <= this.seq;
		let cursor = lastEventId === null ? 0 : known ? lastEventId : this.seq - 1;
		cursor = Math.max(0, cursor);
		this.#clients.add(connection);
		connection.replay({
			next: () => {
				const next = this.#idAfter(cursor);
				if (next === null) return null;
				cursor = next;
				const bytes = this.#bytes(next);
				this.onSent({ writes: 1, deliveries: 1, bytes: bytes.byteLength });
				return bytes;
			},
			done: () => {
				if (this.state !== 'running') connection.close('end');
			}
		});
		return () => this.#clients.delete(connection);
	}

	/** Closes every stream watching the job (shutdown). */
	closeAll(reason: 'shutdown' | 'end' = 'shutdown'): void {
		for (const client of this.#clients) client.close(reason);
	}

	/** The id of the event after `cursor`: a cancelled job goes from its last progress to its end. */
	#idAfter(cursor: number): number | null {
		if (cursor < this.#progressed) return cursor + 1;
		if (this.#terminal && cursor < this.terminalId) return this.terminalId;
		return null;
	}

	#bytes(seq: number): Uint8Array {
		if (seq === this.terminalId && this.#terminal) return this.#terminal;
		return toBytes(encodeEvent({ event: 'progress', id: seq, data: this.plan.progressAt(seq) }));
	}

	#broadcast(bytes: Uint8Array): void {
		let written = 0;
		for (const client of this.#clients) {
			// A replaying client reaches this event through its replay.
			if (!client.replaying && client.write(bytes)) written++;
		}
		if (written > 0) {
			this.onSent({ writes: written, deliveries: written, bytes: written * bytes.byteLength });
		}
	}
}

/** The newest `progress` payload of a job that has sent `progressed` of them, or null before the first. */
export function lastProgress(plan: TrainingPlan, progressed: number): TrainingProgress | null {
	return progressed > 0 ? plan.progressAt(progressed) : null;
}

/** The `cancelled` event of a job made at `createdAt` from `plan`, were it cancelled at `now`. */
export function cancelledEvent(plan: TrainingPlan, createdAt: number, now: number): JobEvent {
	return {
		id: plan.progressCount + 1,
		event: 'cancelled',
		data: trainingCancelled(now - createdAt)
	};
}

/** A job's entry in `GET /api/training`. */
export function jobInfo(
	id: string,
	state: TrainingState,
	createdAt: number,
	progress: TrainingProgress | null
): TrainingJobInfo {
	return {
		id,
		state,
		created_at: new Date(createdAt).toISOString(),
		progress,
		events: trainingEventsPath(id)
	};
}

/** One background job of this process: it runs on its own timers whether or not anyone watches. */
export class TrainingJob extends JobEvents {
	#timer: TimerHandle | null = null;

	constructor(
		id: string,
		plan: TrainingPlan,
		readonly clock: Clock,
		readonly onFinish: (job: TrainingJob) => void,
		readonly slowFactor: () => number = () => 1,
		onSent?: (tally: FanOutTally) => void
	) {
		super(id, plan, clock.now(), onSent);
		this.#schedule();
	}

	/** Stops a running job with a `cancelled` event; false when it had already finished. */
	cancel(): boolean {
		if (this.state !== 'running') return false;
		this.clock.clear(this.#timer);
		this.#timer = null;
		this.apply(this.cancelEvent(this.clock.now()));
		this.onFinish(this);
		return true;
	}

	/** Stops the job's timer for good and closes its streams (shutdown). */
	dispose(): void {
		this.clock.clear(this.#timer);
		this.closeAll('shutdown');
	}

	#schedule(): void {
		this.#timer = this.clock.timeout(() => this.#advance(), this.delayToNext(this.slowFactor()));
	}

	#advance(): void {
		this.#timer = null;
		this.apply(this.nextEvent(this.clock.now()));
		if (this.state === 'running') this.#schedule();
		else this.onFinish(this);
	}
}

/**
 * Where a backend's training jobs live: this process (`JobStore`), or Redis, where every instance
 * lists, watches and cancels the same jobs (`server/redis-jobs.ts`). A store in this process
 * answers at once; a shared one answers the contract's error (a `503`) while it cannot be reached.
 */
export interface TrainingJobs {
	/** Starts a job, or answers `429` when the running cap is reached. */
	create(options: TrainingOptions): MaybePromise<JobEvents | ApiFailure>;
	/** The job with this id, to stream; undefined when it is unknown or forgotten. */
	get(id: string): MaybePromise<JobEvents | undefined | ApiFailure>;
	/** Every kept job, oldest first. */
	list(): MaybePromise<TrainingJobInfo[] | ApiFailure>;
	/** Cancels a running job: its entry after; `'finished'` when it had already ended; undefined when unknown. */
	cancel(id: string): MaybePromise<TrainingJobInfo | 'finished' | undefined | ApiFailure>;
	/** Kept jobs by state (for metrics). */
	countByState(): MaybePromise<Record<TrainingState, number>>;
	/** Stops this process's part: timers, and every stream watching a job (shutdown). */
	dispose(): void;
}

/** The `429` of a full store. */
export function tooManyJobs(maxRunning: number): ApiFailure {
	return apiFailure(429, 'too_many_jobs', `at most ${maxRunning} training jobs may run at once`, {
		'retry-after': '5'
	});
}

/** Every job of the process: creation under the running cap, lookup, and expiry after the TTL. */
export class JobStore implements TrainingJobs {
	readonly #jobs = new Map<string, TrainingJob>();
	readonly #expiry = new Map<string, TimerHandle>();

	constructor(
		readonly limits: JobLimits,
		readonly clock: Clock,
		readonly newId: () => string = () => crypto.randomUUID().replaceAll('-', '')
	) {}

	/** Jobs still running. */
	get running(): number {
		let count = 0;
		for (const job of this.#jobs.values()) if (job.state === 'running') count++;
		return count;
	}

	/** Starts a job, or answers `429` when `maxRunning` are already running. */
	create(options: TrainingOptions): TrainingJob | ApiFailure {
		if (this.running >= this.limits.maxRunning) return tooManyJobs(this.limits.maxRunning);
		const job = new TrainingJob(
			this.newId(),
			trainingPlan(options),
			this.clock,
			(done) => {
				this.#expiry.set(
					done.id,
					this.clock.timeout(() => this.#forget(done.id), this.limits.ttlMs)
				);
			},
			this.limits.slowFactor,
			this.limits.onSent
		);
		this.#jobs.set(job.id, job);
		return job;
	}

	/** The job with this id, if it is still kept. */
	get(id: string): TrainingJob | undefined {
		return this.#jobs.get(id);
	}

	/** Every kept job, oldest first. */
	list(): TrainingJobInfo[] {
		return [...this.#jobs.values()].map((job) => job.info());
	}

	/** Cancels a running job: its entry after; `'finished'` when it had already ended; undefined when unknown. */
	cancel(id: string): TrainingJobInfo | 'finished' | undefined {
		const job = this.#jobs.get(id);
		if (!job) return undefined;
		return job.cancel() ? job.info() : 'finished';
	}

	/** Jobs by state, for metrics. */
	countByState(): Record<TrainingState, number> {
		const counts: Record<TrainingState, number> = { running: 0, complete: 0, cancelled: 0 };
		for (const job of this.#jobs.values()) counts[job.state]++;
		return counts;
	}

	/** Stops every job's timers (shutdown). */
	dispose(): void {
		for (const job of this.#jobs.values()) job.dispose();
		for (const timer of this.#expiry.values()) this.clock.clear(timer);
		this.#expiry.clear();
	}

	#forget(id: string): void {
		this.#jobs.delete(id);
		this.#expiry.delete(id);
	}
}
