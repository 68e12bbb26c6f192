import {
	DEFAULTS,
	type TrainingCancelled,
	type TrainingComplete,
	type TrainingOptions,
	type TrainingProgress
} from './contract';
import { round } from './numbers';

/** `(1/epoch) * (1 - step/steps_per_epoch) + 0.1`, 4 decimals: the article's loss. */
export function trainingLoss(epoch: number, step: number, stepsPerEpoch: number): number {
	return round((1 / epoch) * (1 - step / stepsPerEpoch) + 0.1, 4);
}

/**
 * A job's whole schedule, computed rather than stored: progress event `seq` (1-based, also its
 * SSE id) is fully determined by the options, so a replay re-creates it instead of keeping a log.
 */
export interface TrainingPlan {
	readonly options: TrainingOptions;
	/** Number of `progress` events; the terminal event's id is `progressCount + 1`. */
	readonly progressCount: number;
	/** The `progress` payload with id `seq`, 1 ≤ seq ≤ progressCount. */
	progressAt(seq: number): TrainingProgress;
	/** How long to wait before emitting event `seq` (a step, plus the epoch pause before a new epoch). */
	delayBefore(seq: number): number;
	/** The job's `complete` payload. */
	complete(durationMs: number): TrainingComplete;
}

/** Builds the schedule for one job. Options are assumed valid (see `parseTrainingOptions`). */
export function trainingPlan(partial: Partial<TrainingOptions> = {}): TrainingPlan {
	const options: TrainingOptions = { ...DEFAULTS.training, ...partial };
	const { total_epochs, steps_per_epoch, step_ms, epoch_pause_ms } = options;
	const progressCount = total_epochs * steps_per_epoch;
	const finalLoss = trainingLoss(total_epochs, steps_per_epoch, steps_per_epoch);
	return {
		options,
		progressCount,
		progressAt(seq) {
			if (!Number.isInteger(seq) || seq < 1 || seq > progressCount) {
				throw new RangeError(`progress seq ${seq} is outside 1..${progressCount}`);
			}
			const epoch = Math.ceil(seq / steps_per_epoch);
			const step = seq - (epoch - 1) * steps_per_epoch;
			return {
				epoch,
				total_epochs,
				step,
				steps_per_epoch,
				progress_percent: round((step / steps_per_epoch) * 100, 2),
				overall_percent: round((seq / progressCount) * 100, 2),
				loss: trainingLoss(epoch, step, steps_per_epoch)
			};
		},
		delayBefore(seq) {
			// The article sleeps after every step, and pauses after every epoch, the last one included.
			const startsEpoch = seq > 1 && (seq - 1) % steps_per_epoch === 0;
			const isTerminal = seq === progressCount + 1;
			return isTerminal ? epoch_pause_ms : step_ms + (startsEpoch ? epoch_pause_ms : 0);
		},
		complete: (durationMs) => ({
			message: 'Training complete!',
			final_loss: finalLoss,
			duration_ms: Math.round(durationMs)
		})
	};
}

/** The payload of the `cancelled` event. */
export function trainingCancelled(durationMs: number): TrainingCancelled {
	return { message: 'Training cancelled', duration_ms: Math.round(durationMs) };
}
