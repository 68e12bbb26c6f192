import {
	apiFailure,
	trainingCancelled,
	trainingEventsPath,
	trainingPlan,
	type ApiFailure,
	type RandomSource,
	type TrainingEvents,
	type TrainingJobInfo,
	type TrainingOptions,
	type TrainingPlan,
	type TrainingProgress,
	type TrainingState
} from '$lib/shared';
/** A training event as a job's stream sends it; its id is its place in the job's plan. */
export interface TrainingEvent {
	id: number;
	event: 'progress' | 'complete' | 'cancelled';
	data: TrainingEvents['progress' | 'complete' | 'cancelled'];
}

/** One mock job: the schedule comes from the shared `trainingPlan`, only the position is stored. */
export interface MockJob {
	readonly id: string;
	readonly plan: TrainingPlan;
	readonly createdAt: string;
	state: TrainingState;
	/** Progress events sent so far; event `seq` is the plan's `progressAt(seq)`. */
	sent: number;
	/** The `complete` or `cancelled` event, once the job has finished. */
	terminal: TrainingEvent | null;
}

/** What the job runner needs from the backend. */
export interface TrainingJobsOptions {
	now: () => number;
	random: RandomSource;
	maxRunning: number;
	ttlMs: number;
	/** The slow scenario's factor, read before every step. */
	slowFactor: () => number;
}

/** Running and finished mock jobs; jobs run whether or not anyone watches, as on the server. */
export class TrainingJobs {
	#jobs = new Map<string, MockJob>();
	#timers = new Map<string, ReturnType<typeof setTimeout>>();
	#listeners = new Map<string, Set<(event: TrainingEvent) => void>>();
	#started = new Map<string, number>();

	constructor(private readonly options: TrainingJobsOptions) {}

	/** Starts a job, or answers `429` when `maxRunning` jobs are running. */
	create(options: TrainingOptions): MockJob | ApiFailure {
		const running = [...this.#jobs.values()].filter((j) => j.state === 'running').length;
		if (running >= this.options.maxRunning) {
			return apiFailure(
				429,
				'too_many_jobs',
				`at most ${this.options.maxRunning} training jobs may run at once`,
				{ 'Retry-After': '5' }
			);
		}
		const now = this.options.now();
		const job: MockJob = {
			id: this.#newId(),
			plan: trainingPlan(options),
			createdAt: new Date(now).toISOString(),
			state: 'running',
			sent: 0,
			terminal: null
		};
		this.#jobs.set(job.id, job);
		this.#started.set(job.id, now);
		this.#schedule(job);
		return job;
	}

	/** A job by id, if it exists (finished jobs are forgotten after the TTL). */
	get(id: string): MockJob | undefined {
		return this.#jobs.get(id);
	}

	/** `GET /api/training`'s entries, oldest first. */
	list(): TrainingJobInfo[] {
		return [...this.#jobs.values()].map((job) => ({
			id: job.id,
			state: job.state,
			created_at: job.createdAt,
			progress: lastProgress(job),
			events: trainingEventsPath(job.id)
		}));
	}

	/** Cancels a running job; `false` when it had already finished. */
	cancel(job: MockJob): boolean {
		if (job.state !== 'running') return false;
		const duration = this.options.now() - (this.#started.get(job.id) ?? 0);
		this.#finish(job, 'cancelled', 'cancelled', trainingCancelled(duration));
		return true;
	}

	/** The job's events after `id`, re-created from its plan. */
	eventsAfter(job: MockJob, id: number): TrainingEvent[] {
		const events: TrainingEvent[] = [];
		for (let seq = Math.max(1, id + 1); seq <= job.sent; seq++)
			events.push(progressEvent(job, seq));
		if (job.terminal && job.terminal.id > id) events.push(job.terminal);
		return events;
	}

	/** The id of the newest event sent, 0 before the first. */
	lastId(job: MockJob): number {
		return job.terminal?.id ?? job.sent;
	}

	/** Listens to a job's new events; returns the removal. */
	subscribe(job: MockJob, listener: (event: TrainingEvent) => void): () => void {
		const set = this.#listeners.get(job.id) ?? new Set();
		this.#listeners.set(job.id, set);
		set.add(listener);
		return () => set.delete(listener);
	}

	/** Stops every timer and forgets every job. */
	dispose(): void {
		for (const timer of this.#timers.values()) clearTimeout(timer);
		this.#timers.clear();
		this.#jobs.clear();
		this.#listeners.clear();
	}

	#newId(): string {
		let id = '';
		while (id === '' || this.#jobs.has(id)) {
			id = Array.from({ length: 12 }, () =>
				Math.floor(this.options.random() * 36).toString(36)
			).join('');
		}
		return id;
	}

	#emit(job: MockJob, event: TrainingEvent): void {
		for (const listener of [...(this.#listeners.get(job.id) ?? [])]) listener(event);
	}

	#schedule(job: MockJob): void {
		const seq = job.sent + 1;
		const delay = job.plan.delayBefore(seq) * this.options.slowFactor();
		this.#timers.set(
			job.id,
			setTimeout(() => {
				if (job.state !== 'running') return;
				if (seq <= job.plan.progressCount) {
					job.sent = seq;
					this.#emit(job, progressEvent(job, seq));
					this.#schedule(job);
				} else {
					const duration = this.options.now() - (this.#started.get(job.id) ?? 0);
					this.#finish(job, 'complete', 'complete', job.plan.complete(duration));
				}
			}, delay)
		);
	}

	#finish(
		job: MockJob,
		state: Exclude<TrainingState, 'running'>,
		event: 'complete' | 'cancelled',
		data: TrainingEvents['complete' | 'cancelled']
	): void {
		clearTimeout(this.#timers.get(job.id));
		job.state = state;
		const terminal: TrainingEvent = { id: job.sent + 1, event, data };
		job.terminal = terminal;
		this.#emit(job, terminal);
		this.#listeners.delete(job.id);
		this.#timers.set(
			job.id,
			setTimeout(() => {
				this.#jobs.delete(job.id);
				this.#timers.delete(job.id);
			}, this.options.ttlMs)
		);
	}
}

function progressEvent(job: MockJob, seq: number): TrainingEvent {
	return { id: seq, event: 'progress', data: job.plan.progressAt(seq) };
}

function lastProgress(job: MockJob): TrainingProgress | null {
	return job.sent > 0 ? job.plan.progressAt(job.sent) : null;
}
