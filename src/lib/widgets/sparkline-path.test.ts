import { describe, expect, it } from 'vitest';
import { appendCapped, downsample, sparklinePath } from './sparkline-path';

describe('sparklinePath', () => {
	it('maps values onto the box, highest at the top', () => {
		const { line, area } = sparklinePath([0, 50, 100], {
			width: 100,
			height: 10,
			inset: 0
		});
		expect(line).toBe('M0 10L50 5L100 0');
		expect(area).toBe('M0 10L0 10L50 5L100 0L100 10Z');
	});

	it('breaks the line and the area at null values', () => {
		const { line, area } = sparklinePath([1, null, 3, 4], { width: 30, height: 10, inset: 0 });
		expect(line).toBe('M0 10M20 3.33L30 0');
		expect(area).toBe('M0 10L0 10L0 10ZM20 10L20 3.33L30 0L30 10Z');
	});

	it('grows a short history in from the right', () => {
		const { line } = sparklinePath([0, 10], { width: 90, height: 10, inset: 0, capacity: 10 });
		expect(line).toBe('M80 10L90 0');
	});

	it('draws nothing without values and centres a flat series', () => {
		expect(sparklinePath([null], { width: 10, height: 10 }).line).toBe('');
		expect(sparklinePath([5, 5], { width: 10, height: 10, inset: 0 }).line).toBe('M0 5L10 5');
	});
});

describe('history helpers', () => {
	it('keeps the newest entries up to the limit', () => {
		let values: number[] = [];
		for (let i = 0; i < 65; i++) values = appendCapped(values, i, 60);
		expect(values).toHaveLength(60);
		expect(values[0]).toBe(5);
		expect(values.at(-1)).toBe(64);
	});

	it('downsamples evenly and keeps the first and newest', () => {
		const values = Array.from({ length: 1000 }, (_, i) => i);
		const picked = downsample(values, 240);
		expect(picked).toHaveLength(240);
		expect(picked[0]).toBe(0);
		expect(picked.at(-1)).toBe(999);
		expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
	});
});
