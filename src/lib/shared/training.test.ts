import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './contract';
import { trainingCancelled, trainingLoss, trainingPlan } from './training';

describe('trainingLoss', () => {
	it('is (1/epoch) * (1 - step/steps) + 0.1, rounded to 4 decimals', () => {
		expect(trainingLoss(1, 0, 100)).toBe(1.1);
		expect(trainingLoss(1, 100, 100)).toBe(0.1);
		expect(trainingLoss(3, 40, 100)).toBe(0.3);
		expect(trainingLoss(3, 1, 7)).toBe(0.3857);
		expect(trainingLoss(7, 3, 9)).toBe(0.1952);
	});
});

describe('trainingPlan', () => {
	it('uses the article defaults', () => {
		const plan = trainingPlan();
		expect(plan.options).toEqual(DEFAULTS.training);
		expect(plan.progressCount).toBe(1000);
	});

	it('numbers progress events 1..epochs×steps with epoch, step, percents and loss', () => {
		const plan = trainingPlan({ total_epochs: 10, steps_per_epoch: 100 });
		expect(plan.progressAt(1)).toEqual({
			epoch: 1,
			total_epochs: 10,
			step: 1,
			steps_per_epoch: 100,
			progress_percent: 1,
			overall_percent: 0.1,
			loss: 1.09
		});
		// The contract's own example.
		expect(plan.progressAt(240)).toEqual({
			epoch: 3,
			total_epochs: 10,
			step: 40,
			steps_per_epoch: 100,
			progress_percent: 40,
			overall_percent: 24,
			loss: 0.3
		});
		expect(plan.progressAt(1000)).toMatchObject({
			epoch: 10,
			step: 100,
			progress_percent: 100,
			overall_percent: 100,
			loss: 0.1
		});
	});

	it('rounds percents to 2 decimals', () => {
		const plan = trainingPlan({ total_epochs: 3, steps_per_epoch: 7 });
		expect(plan.progressAt(1)).toMatchObject({ progress_percent: 14.29, overall_percent: 4.76 });
		expect(plan.progressAt(9)).toMatchObject({
			epoch: 2,
			step: 2,
			progress_percent: 28.57,
			overall_percent: 42.86
		});
	});

	it('refuses a seq outside the plan', () => {
		const plan = trainingPlan({ total_epochs: 1, steps_per_epoch: 2 });
		for (const seq of [0, 3, 1.5, -1]) expect(() => plan.progressAt(seq)).toThrow(RangeError);
	});

	it('waits a step before each event and adds the epoch pause before a new epoch and the end', () => {
		const plan = trainingPlan({
			total_epochs: 2,
			steps_per_epoch: 3,
			step_ms: 10,
			epoch_pause_ms: 500
		});
		const delays = Array.from({ length: plan.progressCount + 1 }, (_, i) =>
			plan.delayBefore(i + 1)
		);
		expect(delays).toEqual([10, 10, 10, 510, 10, 10, 500]);
	});

	it('has no pause when epoch_pause_ms is 0', () => {
		const plan = trainingPlan({
			total_epochs: 2,
			steps_per_epoch: 1,
			step_ms: 5,
			epoch_pause_ms: 0
		});
		expect([1, 2, 3].map((seq) => plan.delayBefore(seq))).toEqual([5, 5, 0]);
	});

	it('completes with the final loss and a whole-ms duration', () => {
		const plan = trainingPlan({ total_epochs: 4, steps_per_epoch: 10 });
		expect(plan.complete(1234.6)).toEqual({
			message: 'Training complete!',
			final_loss: 0.1,
			duration_ms: 1235
		});
		expect(trainingCancelled(99.4)).toEqual({ message: 'Training cancelled', duration_ms: 99 });
	});
});
