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

/**
 * One background job. It runs on its own timers whether or not anyone watches; its events are
 * computed from the plan, so a replay of any length costs no stored log.
 */
export class TrainingJob {
	/** The id of the newest event (the terminal event's once finished). */
	seq = 0;
	state: TrainingState = 'running';
	readonly createdAt: number;
	readonly #clients = new Set<SseConnection>();
	#terminal: Uint8Array | null = null;
	/** `progress` events emitted; fewer than the plan's when cancelled. */
	#progressed = 0;
	#timer: TimerHandle | null = null;

	constructor(
		readonly id: string,
		readonly plan: TrainingPlan,
		readonly clock: Clock,
		readonly onFinish: (job: TrainingJob) => void,
		readonly slowFactor: () => number = () => 1,
		readonly onSent: (tally: FanOutTally) => void = () => {}
	) {
		this.createdAt = clock.now();
		this.#schedule();
	}

	/** The id of the job's last event (`complete` or `cancelled`). */
	get terminalId(): number {
		return this.plan.progressCount + 1;
	}

	/** The newest `progress` payload, or null before the first. */
	get progress(): TrainingProgress | null {
		return this.#progressed > 0 ? this.plan.progressAt(this.#progressed) : null;
	}

	/** The job as listed by `GET /api/training`. */
	info(): TrainingJobInfo {
		return {
			id: this.id,
			state: this.state,
			created_at: new Date(this.createdAt).toISOString(),
			progress: this.progress,
			events: trainingEventsPath(this.id)
		};
	}

	/** Stops a running job with a `cancelled` event; false when it had already finished. */
	cancel(): boolean {
		if (this.state !== 'running') return false;
		this.clock.clear(this.#timer);
		this.#finish('cancelled', 'cancelled', trainingCancelled(this.clock.now() - this.createdAt));
		return true;
	}

	/** True when a client that last saw `lastEventId` has seen the whole finished job (answer `204`). */
	isSeenToEnd(lastEventId: number | null): boolean {
		return this.state !== 'running' && lastEventId === this.seq;
	}

	/**
	 * Streams the job to a client from after `lastEventId` (from the first event without one; from
	 * the newest event for an id we never issued), then live, and closes after the terminal event.
	 */
	join(connection: SseConnection, lastEventId: number | null, known: boolean): () => void {
		let cursor =
			lastEventId === null ? 0 : known && lastEventId <= this.seq ? lastEventId : this.seq - 1;
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

	/** Stops the job's timer for good (shutdown). */
	dispose(): void {
		this.clock.clear(this.#timer);
		for (const client of this.#clients) client.close('shutdown');
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

	#schedule(): void {
		this.#timer = this.clock.timeout(
			() => this.#advance(),
			this.plan.delayBefore(this.seq + 1) * this.slowFactor()
		);
	}

	#advance(): void {
		if (this.seq < this.plan.progressCount) {
			this.#progressed = ++this.seq;
			this.#broadcast(this.#bytes(this.seq));
			this.#schedule();
		} else {
			this.#finish('complete', 'complete', this.plan.complete(this.clock.now() - this.createdAt));
		}
	}

	#finish(state: TrainingState, event: string, data: unknown): void {
		this.#timer = null;
		this.state = state;
		this.seq = this.terminalId;
		this.#terminal = toBytes(encodeEvent({ event, id: this.seq, data }));
		this.#broadcast(this.#terminal);
		for (const client of this.#clients) {
			if (!client.replaying) client.close('end');
		}
		this.onFinish(this);
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

/** Every job of the process: creation under the running cap, lookup, and expiry after the TTL. */
export class JobStore {
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
		if (this.running >= this.limits.maxRunning) {
			return apiFailure(
				429,
				'too_many_jobs',
				`at most ${this.limits.maxRunning} training jobs may run at once`,
				{ 'retry-after': '5' }
			);
		}
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
	list(): TrainingJob[] {
		return [...this.#jobs.values()];
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
