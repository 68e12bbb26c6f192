/**
 * Property tests of the SSE encoder against an independent parser (`eventsource-parser`, the one
 * the `eventsource` client uses): whatever the encoder accepts comes back unchanged, and no input
 * at all can add a field, a comment or a second event.
 */
import fc from 'fast-check';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { SseEncodeError, encodeEvent, type SseMessage } from './sse';

/** What the parser makes of `text`, fed in the pieces `cuts` splits it into. */
function parse(text: string, cuts: number[] = []) {
	const seen = { events: [] as EventSourceMessage[], retries: [] as number[], comments: 0 };
	const parser = createParser({
		onEvent: (event) => seen.events.push(event),
		onRetry: (retry) => seen.retries.push(retry),
		onComment: () => seen.comments++,
		onError: (error) => {
			throw error;
		}
	});
	let at = 0;
	for (const cut of [...cuts].sort((a, b) => a - b)) {
		parser.feed(text.slice(at, cut));
		at = Math.max(at, cut);
	}
	parser.feed(text.slice(at));
	return seen;
}

/** Any string, any code point (lone surrogates and controls included). */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
/** Mostly strings with the characters that matter to the framing. */
const framingString = fc.string({
	unit: fc.constantFrom('a', ' ', ':', '\n', '\r', '\u0000', '\u2028', 'é', '😀', 'data', 'id'),
	maxLength: 20
});
const text = fc.oneof(anyString, framingString);
/** Any JSON-able value but a string (a string is sent as is, not as JSON). */
const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== 'string');

/** Where an encoded event is cut before it is fed to the parser. */
const cuts = fc.array(fc.nat(120), { maxLength: 5 });

describe('encodeEvent, read back by eventsource-parser', () => {
	it('returns any accepted name, id and string data unchanged (line breaks as LF), in any chunking', () => {
		fc.assert(
			fc.property(
				fc.option(text, { nil: undefined }),
				fc.option(fc.oneof(text, fc.nat()), { nil: undefined }),
				text,
				cuts,
				(event, id, data, randomCuts) => {
					let encoded: string;
					try {
						encoded = encodeEvent({ event, id, data });
					} catch (error) {
						expect(error).toBeInstanceOf(SseEncodeError);
						return;
					}
					for (const at of [[], [1], [encoded.length - 1], randomCuts]) {
						const seen = parse(encoded, at);
						expect(seen.events).toHaveLength(1);
						expect(seen.retries).toEqual([]);
						expect(seen.comments).toBe(0);
						const [got] = seen.events;
						expect(got!.event ?? 'message').toBe(event ?? 'message');
						expect(got!.id).toBe(id === undefined ? undefined : String(id));
						// The SSE format has one line break: CRLF and CR arrive as LF.
						expect(got!.data).toBe(data.replace(/\r\n|\r/g, '\n'));
					}
				}
			),
			{ numRuns: 500 }
		);
	});

	it('returns any JSON data exactly', () => {
		fc.assert(
			fc.property(json, (data) => {
				const seen = parse(encodeEvent({ event: 'x', id: 1, data }));
				expect(seen.events).toHaveLength(1);
				expect(JSON.parse(seen.events[0]!.data)).toEqual(JSON.parse(JSON.stringify(data)));
			}),
			{ numRuns: 300 }
		);
	});

	it('accepts every name and id without control characters, and refuses every other', () => {
		fc.assert(
			fc.property(anyString, (value) => {
				// eslint-disable-next-line no-control-regex
				const clean = !/[\u0000-\u001f\u007f]/.test(value);
				const accepts = (message: SseMessage) => {
					try {
						encodeEvent(message);
						return true;
					} catch (error) {
						expect(error).toBeInstanceOf(SseEncodeError);
						return false;
					}
				};
				expect(accepts({ id: value, data: 'x' })).toBe(clean);
				expect(accepts({ event: value, data: 'x' })).toBe(clean && value !== '');
			}),
			{ numRuns: 500 }
		);
	});

	it('never lets any input add a field, a comment or an event', () => {
		fc.assert(
			fc.property(
				fc.record(
					{
						event: text,
						id: fc.oneof(text, fc.integer()),
						data: fc.oneof(text, json),
						retry: fc.oneof(fc.nat(), fc.integer(), fc.double())
					},
					{ requiredKeys: [] }
				),
				fc.integer({ min: 1, max: 50 }),
				(message, cut) => {
					let encoded: string;
					try {
						encoded = encodeEvent(message);
					} catch (error) {
						expect(error).toBeInstanceOf(SseEncodeError);
						return;
					}
					const seen = parse(encoded, [cut]);
					// No data means nothing to dispatch, by the spec; never more than one event.
					expect(seen.events).toHaveLength(message.data === undefined ? 0 : 1);
					// String(): -0 goes out as `retry: 0`, which is the same delay.
					expect(seen.retries.map(String)).toEqual(
						message.retry === undefined ? [] : [String(message.retry)]
					);
					expect(seen.comments).toBe(0);
					// Exactly one blank line, at the end: the event cannot end early.
					expect(encoded.indexOf('\n\n')).toBe(encoded.length - 2);
				}
			),
			{ numRuns: 1000 }
		);
	});
});
