/**
 * Property tests of the validators: none throws on any input, each accepts exactly the
 * contract's range (docs/CONTRACT.md), and no error message carries back a rejected value that
 * the contract's quoting rule (`[A-Za-z0-9._-]{1,16}`) does not allow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, TOPICS, TRAINING_LIMITS, type TrainingOptions } from './contract';
import type { Parsed } from './errors';
import {
	checkQuery,
	formatMultiplexId,
	parseEventId,
	parseIntervalMs,
	parseMultiplexId,
	parseSymbols,
	parseTopics,
	parseTrainingOptions
} from './validate';

const QUOTABLE = /^[A-Za-z0-9._-]{1,16}$/;
const KNOWN_SYMBOLS = ['AAPL', 'GOOGL', 'MSFT'];

const anyString = fc.string({ unit: 'binary', maxLength: 40 });
/** Strings that look like numbers, nearly numbers, or not at all. */
const numberish = fc.oneof(
	anyString,
	fc.integer().map(String),
	fc.integer({ min: 0, max: 20_000 }).map(String),
	fc.double().map(String),
	fc.stringMatching(/^[-+ 0]?\d{0,6}(\.\d?)?(e\d)?$/)
);
/** A comma-separated list of known names, near-misses and junk. */
const listOf = (names: readonly string[]) =>
	fc
		.array(
			fc.oneof(fc.constantFrom(...names, '', ' ', ...names.map((n) => n.toLowerCase())), anyString),
			{
				maxLength: 5
			}
		)
		.map((parts) => parts.join(','));

/** Every quoted value in a failure's message obeys the rule; the raw input never appears. */
function expectNoEcho(result: Parsed<unknown>, input: string) {
	if (result.ok) return;
	const message = result.body.error.message;
	for (const [, quoted] of message.matchAll(/'([^']*)'/g)) expect(quoted).toMatch(QUOTABLE);
	if (input.length > 16 || !QUOTABLE.test(input)) {
		// A value that may not be quoted may still be a known word of the message ("known: …").
		if (input.length >= 4 && !/^[a-z, :;_]*$/i.test(input)) expect(message).not.toContain(input);
	}
}

describe('parseIntervalMs', () => {
	it('accepts exactly the integers 500-10000, written in decimal digits, and never throws', () => {
		fc.assert(
			fc.property(numberish, (raw) => {
				const result = parseIntervalMs(raw);
				const value = Number(raw);
				const valid =
					/^-?\d{1,15}$/.test(raw) &&
					value >= DEFAULTS.systemIntervalMinMs &&
					value <= DEFAULTS.systemIntervalMaxMs;
				expect(result.ok).toBe(valid);
				if (result.ok) expect(result.value).toBe(value);
				else
					expect(result).toMatchObject({ status: 400, body: { error: { code: 'bad_interval' } } });
				expectNoEcho(result, raw);
			}),
			{ numRuns: 2000 }
		);
	});

	it('accepts every integer of the range and refuses its neighbours', () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 20_000 }), (n) => {
				expect(parseIntervalMs(String(n)).ok).toBe(n >= 500 && n <= 10_000);
			})
		);
		expect(parseIntervalMs(null)).toEqual({ ok: true, value: DEFAULTS.systemIntervalMs });
	});
});

describe('parseTrainingOptions', () => {
	const fields = Object.keys(TRAINING_LIMITS) as (keyof TrainingOptions)[];

	it('never throws on any JSON, and accepts only objects of known integer fields in range', () => {
		fc.assert(
			fc.property(fc.oneof(fc.jsonValue(), fc.constant(undefined)), (body) => {
				const result = parseTrainingOptions(body);
				if (!result.ok) {
					expect(result.status).toBe(400);
					return;
				}
				if (body === undefined) {
					expect(result.value).toEqual(DEFAULTS.training);
					return;
				}
				expect(typeof body === 'object' && body !== null && !Array.isArray(body)).toBe(true);
				for (const [key, value] of Object.entries(body as object)) {
					const field = key as keyof TrainingOptions;
					expect(fields).toContain(field);
					expect(result.value[field]).toBe(value);
				}
			}),
			{ numRuns: 1000 }
		);
	});

	it('accepts a field exactly when it is an integer within its limits', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...fields),
				fc.oneof(
					fc.integer({ min: -10, max: 70_000 }),
					fc.double(),
					fc.constantFrom('10', true, null, [], {})
				),
				(field, value) => {
					const [min, max] = TRAINING_LIMITS[field];
					const valid =
						typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
					const result = parseTrainingOptions({ [field]: value });
					expect(result.ok).toBe(valid);
					if (result.ok) expect(result.value).toEqual({ ...DEFAULTS.training, [field]: value });
					else expect(result.body.error.code).toBe('bad_parameter');
				}
			),
			{ numRuns: 2000 }
		);
	});

	it('refuses any unknown field without echoing a name the rule does not allow', () => {
		fc.assert(
			fc.property(
				anyString.filter((k) => !(fields as string[]).includes(k)),
				(key) => {
					const result = parseTrainingOptions({ [key]: 1 });
					expect(result).toMatchObject({ ok: false, body: { error: { code: 'unknown_field' } } });
					expectNoEcho(result, key);
				}
			),
			{ numRuns: 1000 }
		);
	});
});

describe('the list parsers', () => {
	it('parseSymbols never throws, and accepts only lists of known symbols, deduplicated', () => {
		fc.assert(
			fc.property(listOf(KNOWN_SYMBOLS), (raw) => {
				const result = parseSymbols(raw, KNOWN_SYMBOLS);
				const parts = raw.split(',').map((s) => s.trim());
				expect(result.ok).toBe(parts.every((s) => KNOWN_SYMBOLS.includes(s)));
				if (result.ok) {
					expect(result.value).toEqual([...new Set(parts)]);
				} else {
					expect(result.body.error.code).toBe('bad_symbol');
					for (const part of parts) expectNoEcho(result, part);
				}
			}),
			{ numRuns: 1000 }
		);
	});

	it('parseTopics never throws, and accepts only lists of known topics, deduplicated', () => {
		fc.assert(
			fc.property(listOf(TOPICS), (raw) => {
				const result = parseTopics(raw);
				const parts = raw.split(',').map((s) => s.trim());
				expect(result.ok).toBe(parts.every((s) => (TOPICS as readonly string[]).includes(s)));
				if (result.ok) expect(result.value).toEqual([...new Set(parts)]);
				else for (const part of parts) expectNoEcho(result, part);
			}),
			{ numRuns: 1000 }
		);
	});
});

describe('checkQuery', () => {
	it('never throws, and accepts exactly the queries of allowed names, each given once', () => {
		const allowed = ['symbols', 'lastEventId'];
		const key = fc.oneof(fc.constantFrom(...allowed), anyString);
		fc.assert(
			fc.property(fc.array(fc.tuple(key, anyString), { maxLength: 4 }), (pairs) => {
				const params = new URLSearchParams(pairs);
				const names = [...params.keys()];
				const result = checkQuery(params, allowed);
				const valid =
					names.every((n) => allowed.includes(n)) && new Set(names).size === names.length;
				expect(result.ok).toBe(valid);
				if (!result.ok) {
					expect(result.body.error.code).toBe('bad_parameter');
					for (const name of names) expectNoEcho(result, name);
				}
			}),
			{ numRuns: 1000 }
		);
	});
});

describe('event ids', () => {
	it('parseEventId accepts exactly decimal digits of a safe integer', () => {
		fc.assert(
			fc.property(
				fc.oneof(numberish, fc.nat().map(String), fc.bigInt({ min: 0n }).map(String)),
				(raw) => {
					const id = parseEventId(raw);
					const valid = /^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw));
					expect(id).toBe(valid ? Number(raw) : null);
				}
			),
			{ numRuns: 2000 }
		);
	});

	it('parseMultiplexId never throws, and reads back what formatMultiplexId wrote', () => {
		fc.assert(
			fc.property(anyString, (raw) => {
				const positions = parseMultiplexId(raw);
				for (const [topic, id] of Object.entries(positions)) {
					expect(TOPICS).toContain(topic);
					expect(Number.isSafeInteger(id)).toBe(true);
				}
			}),
			{ numRuns: 1000 }
		);
		const position = fc.option(fc.maxSafeNat(), { nil: undefined });
		fc.assert(
			fc.property(fc.record({ time: position, system: position, stocks: position }), (raw) => {
				const positions = Object.fromEntries(
					Object.entries(raw).filter(([, v]) => v !== undefined)
				);
				expect(parseMultiplexId(formatMultiplexId(positions, TOPICS))).toEqual(positions);
			})
		);
	});
});
