import { describe, expect, it } from 'vitest';
import { SseEncodeError, encodeComment, encodeEvent, encodePreamble } from './sse';

describe('encodeEvent', () => {
	it('encodes a named event with id and JSON data, ending with a blank line', () => {
		expect(encodeEvent({ event: 'AAPL', id: 7, data: { price: 1.5 } })).toBe(
			'event: AAPL\nid: 7\ndata: {"price":1.5}\n\n'
		);
	});

	it('omits the event line for the unnamed `message` event', () => {
		expect(encodeEvent({ event: 'message', data: 'x' })).toBe('data: x\n\n');
		expect(encodeEvent({ data: 'x' })).toBe('data: x\n\n');
	});

	it('splits multi-line data into one data line per line, whatever the line break', () => {
		expect(encodeEvent({ data: 'a\nb' })).toBe('data: a\ndata: b\n\n');
		expect(encodeEvent({ data: 'a\r\nb\rc\n' })).toBe('data: a\ndata: b\ndata: c\ndata: \n\n');
	});

	it('keeps CR and LF inside JSON strings escaped, so they cannot end the event', () => {
		const text = encodeEvent({ data: { note: 'line1\r\nline2\n\nid: 9' } });
		expect(text).toBe('data: {"note":"line1\\r\\nline2\\n\\nid: 9"}\n\n');
		expect(text.indexOf('\n\n')).toBe(text.length - 2);
	});

	it('passes unicode through unchanged', () => {
		expect(encodeEvent({ data: { s: 'ü€😀 中文' } })).toBe('data: {"s":"ü€😀 中文"}\n\n');
		expect(encodeEvent({ event: 'prix€', data: '😀' })).toBe('event: prix€\ndata: 😀\n\n');
	});

	it('encodes retry as its own field', () => {
		expect(encodeEvent({ retry: 2000 })).toBe('retry: 2000\n\n');
		expect(encodeEvent({ retry: 0, data: 1 })).toBe('retry: 0\ndata: 1\n\n');
	});

	it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects retry %s', (retry) => {
		expect(() => encodeEvent({ retry })).toThrow(SseEncodeError);
	});

	it.each(['a\nb', 'a\rb', 'a\r\nb', 'a\0b', 'a\u007fb', 'a\tb'])(
		'rejects a hostile event name or id with a control character (%j)',
		(hostile) => {
			expect(() => encodeEvent({ event: hostile, data: 1 })).toThrow(SseEncodeError);
			expect(() => encodeEvent({ id: hostile, data: 1 })).toThrow(SseEncodeError);
		}
	);

	it('rejects an empty event name', () => {
		expect(() => encodeEvent({ event: '', data: 1 })).toThrow(SseEncodeError);
	});

	it('allows an empty id (which resets Last-Event-ID)', () => {
		expect(encodeEvent({ id: '', data: 1 })).toBe('id: \ndata: 1\n\n');
	});
});

describe('encodeComment and encodePreamble', () => {
	it('keeps every line of a multi-line comment a comment line', () => {
		expect(encodeComment('a\r\nb\rc')).toBe(': a\n: b\n: c\n\n');
		expect(encodeComment()).toBe(':\n\n');
	});

	it('starts a stream with retry and a comment, in one block', () => {
		expect(encodePreamble(2000)).toBe('retry: 2000\n: live-feeds\n\n');
	});
});
