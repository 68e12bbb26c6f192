import { writable, get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { frameThrottle, frameThrottled } from './frame-throttle';
import { manualFrames } from './testing';

describe('frameThrottle', () => {
	it('applies only the newest of many values per frame', () => {
		const frames = manualFrames();
		const applied: number[] = [];
		const throttle = frameThrottle<number>((v) => applied.push(v), frames.scheduler);
		for (let i = 1; i <= 50; i++) throttle.push(i);
		expect(frames.pending()).toBe(1);
		expect(applied).toEqual([]);
		frames.frame();
		expect(applied).toEqual([50]);
		frames.frame();
		expect(applied).toEqual([50]);
		throttle.push(51);
		frames.frame();
		expect(applied).toEqual([50, 51]);
	});

	it('flushes the held value at once and cancels the frame', () => {
		const frames = manualFrames();
		const applied: string[] = [];
		const throttle = frameThrottle<string>((v) => applied.push(v), frames.scheduler);
		throttle.push('a');
		throttle.flush();
		expect(applied).toEqual(['a']);
		expect(frames.pending()).toBe(0);
		throttle.flush();
		expect(applied).toEqual(['a']);
	});

	it('drops the held value on cancel', () => {
		const frames = manualFrames();
		const applied: number[] = [];
		const throttle = frameThrottle<number>((v) => applied.push(v), frames.scheduler);
		throttle.push(1);
		throttle.cancel();
		frames.frame();
		expect(applied).toEqual([]);
	});
});

describe('frameThrottle with leading', () => {
	it('applies a value at once when idle, then at most one per frame', () => {
		const frames = manualFrames();
		const applied: number[] = [];
		const throttle = frameThrottle<number>((v) => applied.push(v), frames.scheduler, {
			leading: true
		});
		throttle.push(1);
		expect(applied).toEqual([1]);
		throttle.push(2);
		throttle.push(3);
		expect(applied).toEqual([1]);
		frames.frame();
		expect(applied).toEqual([1, 3]);
		frames.frame();
		throttle.push(4);
		expect(applied).toEqual([1, 3, 4]);
	});
});

describe('frameThrottled', () => {
	it('passes the first value at once and batches the rest per frame', () => {
		const frames = manualFrames();
		const source = writable(0);
		const throttled = frameThrottled(source, frames.scheduler);
		const seen: number[] = [];
		const stop = throttled.subscribe((v) => seen.push(v));
		expect(seen).toEqual([0]);
		source.set(1);
		source.set(2);
		source.set(3);
		expect(seen).toEqual([0]);
		frames.frame();
		expect(seen).toEqual([0, 3]);
		stop();
		source.set(4);
		frames.frame();
		expect(seen).toEqual([0, 3]);
		expect(get(throttled)).toBe(4);
	});
});
