import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnnouncer } from './announcer';

describe('createAnnouncer', () => {
	beforeEach(() => vi.useFakeTimers({ now: 0 }));
	afterEach(() => vi.useRealTimers());

	it('speaks at most once per interval, then the newest message', () => {
		const spoken: string[] = [];
		const announcer = createAnnouncer((m) => spoken.push(m), { minIntervalMs: 5000 });
		announcer.say('10%');
		for (let i = 11; i <= 60; i++) announcer.say(`${i}%`);
		expect(spoken).toEqual(['10%']);
		vi.advanceTimersByTime(4999);
		expect(spoken).toEqual(['10%']);
		vi.advanceTimersByTime(1);
		expect(spoken).toEqual(['10%', '60%']);
		vi.advanceTimersByTime(60_000);
		expect(spoken).toEqual(['10%', '60%']);
	});

	it('sends urgent messages at once and drops the pending one', () => {
		const spoken: string[] = [];
		const announcer = createAnnouncer((m) => spoken.push(m), { minIntervalMs: 5000 });
		announcer.say('epoch 1');
		announcer.say('epoch 2');
		announcer.say('Training complete!', true);
		vi.advanceTimersByTime(10_000);
		expect(spoken).toEqual(['epoch 1', 'Training complete!']);
	});

	it('does not repeat the message it just spoke', () => {
		const spoken: string[] = [];
		const announcer = createAnnouncer((m) => spoken.push(m), { minIntervalMs: 1000 });
		announcer.say('live');
		vi.advanceTimersByTime(2000);
		announcer.say('live');
		expect(spoken).toEqual(['live']);
	});

	it('stops its timer on dispose', () => {
		const spoken: string[] = [];
		const announcer = createAnnouncer((m) => spoken.push(m), { minIntervalMs: 1000 });
		announcer.say('a');
		announcer.say('b');
		announcer.dispose();
		vi.advanceTimersByTime(5000);
		expect(spoken).toEqual(['a']);
	});
});
