import { describe, expect, it } from 'vitest';
import { joinUrl, routeEvent, withLastEventId } from './routing';

describe('routeEvent', () => {
	it('parses JSON into a value with its id and arrival time', () => {
		expect(routeEvent('AAPL', '{"price":1.5}', '12', 1000)).toEqual({
			ok: true,
			terminal: false,
			value: { data: { price: 1.5 }, id: '12', receivedAt: 1000 }
		});
	});

	it('gives a fresh value object for identical payloads, so subscribers are notified', () => {
		const a = routeEvent('message', '{"n":1}', '', 1);
		const b = routeEvent('message', '{"n":1}', '', 1);
		expect(a.ok && b.ok && a.value !== b.value).toBe(true);
		expect(a.ok && a.value.id).toBeNull();
	});

	it('reports malformed JSON as a parse error instead of throwing', () => {
		const routed = routeEvent('progress', '{"epoch": ', '4', 50);
		expect(routed.ok).toBe(false);
		if (routed.ok) return;
		expect(routed.error).toMatchObject({
			event: 'progress',
			raw: '{"epoch": ',
			id: '4',
			receivedAt: 50
		});
		expect(routed.error.message).not.toBe('');
	});

	it('cuts long raw payloads in the parse error', () => {
		const routed = routeEvent('x', 'y'.repeat(1000), '', 0);
		expect(!routed.ok && routed.error.raw.length).toBe(200);
	});

	it('marks closeOn events as terminal, malformed or not', () => {
		expect(routeEvent('complete', '{}', '9', 0, ['complete']).terminal).toBe(true);
		expect(routeEvent('complete', 'oops', '9', 0, ['complete']).terminal).toBe(true);
		expect(routeEvent('progress', '{}', '9', 0, ['complete']).terminal).toBe(false);
	});
});

describe('withLastEventId', () => {
	it('adds, replaces and keeps other parameters and the hash', () => {
		expect(withLastEventId('/api/feeds/time', '5')).toBe('/api/feeds/time?lastEventId=5');
		expect(
			withLastEventId('http://h/api/feeds?topics=time&lastEventId=1#x', 'time=2;stocks=3')
		).toBe('http://h/api/feeds?topics=time&lastEventId=time%3D2%3Bstocks%3D3#x');
	});

	it('keeps the other parameters as they were written', () => {
		expect(withLastEventId('/s?symbols=AAPL,MSFT', '3')).toBe('/s?symbols=AAPL,MSFT&lastEventId=3');
		expect(withLastEventId('/s?symbols=AAPL,MSFT', null)).toBe('/s?symbols=AAPL,MSFT');
	});

	it('leaves the URL without the parameter when there is no id', () => {
		expect(withLastEventId('/a?b=1&lastEventId=4', null)).toBe('/a?b=1');
		expect(withLastEventId('/a', '')).toBe('/a');
	});
});

describe('joinUrl', () => {
	it('joins with and without a trailing slash, and same-origin', () => {
		expect(joinUrl('http://h:1/', '/api/x')).toBe('http://h:1/api/x');
		expect(joinUrl('http://h:1', '/api/x')).toBe('http://h:1/api/x');
		expect(joinUrl('', '/api/x')).toBe('/api/x');
	});
});
