/**
 * The state behind `TrainingProgress`: one training job session, as a class of runes that a thin
 * component renders (bits-ui's `progress.svelte` over `progress.svelte.ts`). It starts, cancels
 * and resumes jobs over REST, follows the job's stream, applies progress once per frame while
 * keeping every loss for the curve, and says what a screen reader should hear.
 */
import {
	LiveFeedsError,
	cancelTraining,
	listTrainingJobs,
	startTraining,
	trainingJob,
	type ConnectionState,
	type FeedHelperOptions,
	type TrainingJob
} from '$lib/client';
import {
	DEFAULTS,
	TRAINING_LIMITS,
	type TrainingCancelled,
	type TrainingComplete,
	type TrainingProgress
} from '$lib/shared/contract';
import { formatLoss } from './format';
import { animationFrames, frameThrottle, type FrameScheduler } from './frame-throttle';
import { downsample } from './sparkline-path';

/** Points of the loss curve; the full history is downsampled to this many. */
const LOSS_POINTS = 240;

/** What the card shows: no job, waiting for its first event, running, or how it ended. */
export type TrainingPhase = 'idle' | 'connecting' | 'running' | 'complete' | 'cancelled' | 'failed';

/** Options of {@link TrainingSession}; the feed options (baseUrl, fetch, EventSource, …) reach the REST calls and the job streams. */
export interface TrainingSessionOptions extends FeedHelperOptions {
	/** A job to show from the start. Default: none. */
	job?: TrainingJob;
	/** Initial epochs. Default: 10 (the server's default). */
	epochs?: number;
	/** Initial steps per epoch. Default: 100 (the server's default). */
	stepsPerEpoch?: number;
	/** Sent as `step_ms` when starting a job. Default: the server's (20). */
	stepMs?: number;
	/** Sent as `epoch_pause_ms` when starting a job. Default: the server's (500). */
	epochPauseMs?: number;
	/** Receives what a screen reader should hear; `urgent` for the end of a job. Default: nothing. */
	announce?: (message: string, urgent: boolean) => void;
	/** Schedules the once-a-frame updates. Default: `requestAnimationFrame`. */
	frames?: FrameScheduler;
}

function describe(cause: unknown): string {
	return cause instanceof Error ? cause.message : 'something went wrong';
}

function clampInput(value: number, [low, high]: readonly [number, number], fallback: number) {
	return Number.isFinite(value) ? Math.min(high, Math.max(low, Math.round(value))) : fallback;
}

/**
 * One training job session. Nothing connects until {@link TrainingSession.attach} (call it on
 * mount), so it is safe to create during SSR.
 * @example
 * const session = new TrainingSession({ baseUrl, announce: live.say });
 * onMount(() => session.attach({ resume: true }));
 */
export class TrainingSession {
	/** The job shown, or null before one starts. */
	job = $state<TrainingJob | null>(null);
	/** The epochs input. */
	epochs = $state<number>(DEFAULTS.training.total_epochs);
	/** The steps-per-epoch input. */
	steps = $state<number>(DEFAULTS.training.steps_per_epoch);
	/** Whether the job shown was found running rather than started here. */
	resumed = $state(false);
	/** Whether a start request is on its way. */
	starting = $state(false);
	/** The last start or cancel failure, for an alert. */
	error = $state<string | null>(null);
	/** The latest progress, applied once per frame. */
	progress = $state<TrainingProgress | null>(null);
	/** The loss curve: every loss so far, downsampled. */
	losses = $state.raw<number[]>([]);
	/** The `complete` event, once it came. */
	complete = $state<TrainingComplete | null>(null);
	/** The `cancelled` event, once it came. */
	cancelled = $state<TrainingCancelled | null>(null);
	/** The job stream's connection state. */
	connection = $state<ConnectionState | null>(null);

	/** Whether the job ended, completed or cancelled. */
	readonly finished = $derived(this.complete !== null || this.cancelled !== null);
	/** Whether the stream closed before the job ended (the job is lost). */
	readonly failed = $derived(this.connection?.status === 'closed' && !this.finished);
	/** Whether a job is shown and still going. */
	readonly running = $derived(this.job !== null && !this.finished && !this.failed);
	/** What the card shows. */
	readonly phase: TrainingPhase = $derived(
		this.complete
			? 'complete'
			: this.cancelled
				? 'cancelled'
				: this.failed
					? 'failed'
					: this.running
						? this.progress
							? 'running'
							: 'connecting'
						: 'idle'
	);

	readonly #options: TrainingSessionOptions;
	readonly #feed: FeedHelperOptions;
	#attached = false;
	#stop: (() => void) | null = null;

	constructor(options: TrainingSessionOptions = {}) {
		// The session's own options stay out of the feed options passed to the REST calls and streams.
		const {
			job,
			epochs,
			stepsPerEpoch,
			stepMs: _stepMs,
			epochPauseMs: _epochPauseMs,
			announce: _announce,
			frames: _frames,
			...feed
		} = options;
		this.#options = options;
		this.#feed = feed;
		this.job = job ?? null;
		this.epochs = epochs ?? DEFAULTS.training.total_epochs;
		this.steps = stepsPerEpoch ?? DEFAULTS.training.steps_per_epoch;
	}

	/**
	 * Follows the job shown (and every later one); with `resume`, shows the newest running job of
	 * the server when none is shown. Returns the function that stops it all.
	 */
	attach({ resume = false }: { resume?: boolean } = {}): () => void {
		this.#attached = true;
		if (this.job) this.#follow(this.job);
		if (resume && !this.job) void this.#resume();
		return () => {
			this.#attached = false;
			this.#stop?.();
			this.#stop = null;
		};
	}

	/** Starts a job with the inputs (clamped to the contract's limits) and shows it. */
	async start(): Promise<void> {
		if (this.running || this.starting) return;
		const { stepMs, epochPauseMs } = this.#options;
		this.starting = true;
		this.error = null;
		this.epochs = clampInput(
			this.epochs,
			TRAINING_LIMITS.total_epochs,
			DEFAULTS.training.total_epochs
		);
		this.steps = clampInput(
			this.steps,
			TRAINING_LIMITS.steps_per_epoch,
			DEFAULTS.training.steps_per_epoch
		);
		try {
			const created = await startTraining({
				...this.#feed,
				total_epochs: this.epochs,
				steps_per_epoch: this.steps,
				...(stepMs === undefined ? {} : { step_ms: stepMs }),
				...(epochPauseMs === undefined ? {} : { epoch_pause_ms: epochPauseMs })
			});
			this.#show(created, false);
		} catch (cause) {
			this.error = `Could not start: ${describe(cause)}`;
		} finally {
			this.starting = false;
		}
	}

	/** Cancels the running job; its stream then says how it ended. */
	async cancel(): Promise<void> {
		const job = this.job;
		if (!job || !this.running) return;
		try {
			await cancelTraining(job.id, this.#feed);
		} catch (cause) {
			// The job may have finished on its own in the meantime; its stream says how it ended.
			if (!(cause instanceof LiveFeedsError && cause.code === 'already_finished')) {
				this.error = `Could not cancel: ${describe(cause)}`;
			}
		}
	}

	async #resume(): Promise<void> {
		let jobs;
		try {
			jobs = await listTrainingJobs(this.#feed);
		} catch {
			// Nothing to resume when the list cannot be had; starting a job still reports errors.
			return;
		}
		const latest = jobs
			.filter((entry) => entry.state === 'running')
			.sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
		if (this.#attached && latest && !this.job) {
			this.#show(trainingJob(latest.id, this.#feed), true);
		}
	}

	#show(next: TrainingJob, resumed: boolean): void {
		this.progress = null;
		this.losses = [];
		this.complete = null;
		this.cancelled = null;
		this.connection = null;
		this.resumed = resumed;
		this.job = next;
		if (this.#attached) this.#follow(next);
	}

	#follow(job: TrainingJob): void {
		this.#stop?.();
		const say = this.#options.announce ?? (() => {});
		const history: number[] = [];
		// Progress can come 50 times a second: the bars take one value per frame, the curve all.
		const throttle = frameThrottle<TrainingProgress>(
			(value) => {
				this.progress = value;
				this.losses = downsample(history, LOSS_POINTS);
				if (this.running) {
					const done = Math.floor(value.overall_percent);
					say(`Epoch ${value.epoch} of ${value.total_epochs}, ${done}% done`, false);
				}
			},
			this.#options.frames ?? animationFrames,
			{ leading: true }
		);
		const stops = [
			job.subscribe((state) => (this.connection = state)),
			job.event('progress').subscribe((value) => {
				if (!value) return;
				history.push(value.data.loss);
				throttle.push(value.data);
			}),
			job.event('complete').subscribe((value) => {
				if (!value) return;
				throttle.flush();
				this.complete = value.data;
				say(`Training complete! Final loss ${formatLoss(value.data.final_loss)}`, true);
			}),
			job.event('cancelled').subscribe((value) => {
				if (!value) return;
				throttle.flush();
				this.cancelled = value.data;
				say('Training cancelled', true);
			})
		];
		this.#stop = () => {
			for (const stop of stops) stop();
			throttle.cancel();
		};
	}
}
