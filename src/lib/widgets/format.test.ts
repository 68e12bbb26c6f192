import { describe, expect, it } from 'vitest';
import {
	NOT_AVAILABLE,
	clampPercent,
	formatChange,
	formatDuration,
	formatLoad,
	formatLoss,
	formatMemory,
	formatPercent,
	formatPrice,
	formatRate,
	formatUptime,
	spokenTrend,
	trendOf
} from './format';

describe('format', () => {
	it('writes CPU and memory as the classic example does', () => {
		expect(formatPercent(45.2)).toBe('45.20%');
		expect(formatMemory(9876.54, 23995.1)).toBe('9876.54 / 23995.10 MB');
	});

	it('says "not available" for null, never a made-up zero', () => {
		for (const text of [
			formatPercent(null),
			formatMemory(null, 100),
			formatRate(null),
			formatLoad(null),
			formatUptime(null),
			formatPrice(undefined),
			formatChange(Number.NaN),
			formatLoss(null),
			formatDuration(null)
		]) {
			expect(text).toBe(NOT_AVAILABLE);
		}
	});

	it('scales network rates by 1024', () => {
		expect(formatRate(812)).toBe('812 B/s');
		expect(formatRate(1536)).toBe('1.5 KB/s');
		expect(formatRate(5 * 1024 * 1024)).toBe('5.0 MB/s');
	});

	it('writes load, uptime, loss and durations with fixed widths', () => {
		expect(formatLoad([0.52, 0.61, 0.7])).toBe('0.52  0.61  0.70');
		expect(formatUptime(86_400 + 3 * 3600 + 5 * 60)).toBe('1d 03h 05m');
		expect(formatUptime(3725)).toBe('01h 02m');
		expect(formatUptime(65)).toBe('01m 05s');
		expect(formatLoss(0.1)).toBe('0.1000');
		expect(formatDuration(850)).toBe('850 ms');
		expect(formatDuration(25_012)).toBe('25.0 s');
		expect(formatDuration(185_000)).toBe('3 min 05 s');
	});

	it('signs changes with a real minus and calls sub-cent moves flat', () => {
		expect(formatChange(0.23)).toBe('+0.23');
		expect(formatChange(-0.23)).toBe('\u22120.23');
		expect(formatChange(0.001)).toBe('0.00');
		expect([trendOf(0.23), trendOf(-0.23), trendOf(0), trendOf(null)]).toEqual([
			'up',
			'down',
			'flat',
			'flat'
		]);
		expect([0.23, -0.23, 0.001].map((change) => spokenTrend(trendOf(change)))).toEqual([
			'up',
			'down',
			'unchanged'
		]);
	});

	it('clamps bar values and keeps null as unknown', () => {
		expect([clampPercent(-3), clampPercent(140), clampPercent(40), clampPercent(null)]).toEqual([
			0,
			100,
			40,
			null
		]);
	});
});
