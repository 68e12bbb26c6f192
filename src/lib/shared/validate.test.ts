import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './contract';
import { describeValue } from './errors';
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

const KNOWN = ['AAPL', 'GOOGL', 'MSFT'];

function failure(result: { ok: boolean }) {
	expect(result.ok).toBe(false);
	return result as {
		ok: false;
		status: number;
		body: { error: { code: string; message: string } };
	};
}

describe('describeValue', () => {
	it('quotes only short plain tokens', () => {
		expect(describeValue('XYZ')).toBe("'XYZ'");
		expect(describeValue('a'.repeat(16))).toBe(`'${'a'.repeat(16)}'`);
		expect(describeValue('a'.repeat(17))).toBe(
			'a value of 17 characters that is not a plain token'
		);
		expect(describeValue('<script>')).not.toContain('<');
		expect(describeValue('a\nb')).not.toContain('\n');
		expect(describeValue('')).toBe('an empty value');
	});
});

describe('checkQuery', () => {
	it('accepts known parameters', () => {
		expect(checkQuery(new URLSearchParams('symbols=AAPL'), ['symbols'])).toEqual({
			ok: true,
			value: null
		});
	});

	it('rejects unknown and repeated parameters with 400 bad_parameter', () => {
		const unknown = failure(checkQuery(new URLSearchParams('foo=1'), ['symbols']));
		expect(unknown.status).toBe(400);
		expect(unknown.body.error).toEqual({
			code: 'bad_parameter',
			message: "unknown query parameter 'foo'; known: symbols"
		});
		const repeated = failure(checkQuery(new URLSearchParams('a=1&a=2'), ['a']));
		expect(repeated.body.error.code).toBe('bad_parameter');
		expect(failure(checkQuery(new URLSearchParams('x=1'), [])).body.error.message).toBe(
			"unknown query parameter 'x'"
		);
	});
});

describe('parseSymbols', () => {
	it('defaults to every known symbol and de-duplicates', () => {
		expect(parseSymbols(null, KNOWN)).toEqual({ ok: true, value: KNOWN });
		expect(parseSymbols('MSFT, AAPL,MSFT', KNOWN)).toEqual({ ok: true, value: ['MSFT', 'AAPL'] });
	});

	it.each([
		['XYZ', "unknown symbol 'XYZ'; known: AAPL, GOOGL, MSFT"],
		['aapl', "unknown symbol 'aapl'; known: AAPL, GOOGL, MSFT"],
		['', 'an empty symbol; known: AAPL, GOOGL, MSFT'],
		['AAPL,', 'an empty symbol; known: AAPL, GOOGL, MSFT'],
		[
			'<img src=x>',
			'unknown symbol a value of 11 characters that is not a plain token; known: AAPL, GOOGL, MSFT'
		]
	])('rejects %j', (raw, message) => {
		const result = failure(parseSymbols(raw, KNOWN));
		expect(result.status).toBe(400);
		expect(result.body.error).toEqual({ code: 'bad_symbol', message });
	});
});

describe('parseIntervalMs', () => {
	it('defaults to 1000 and accepts 500–10000', () => {
		expect(parseIntervalMs(null)).toEqual({ ok: true, value: DEFAULTS.systemIntervalMs });
		expect(parseIntervalMs('500')).toEqual({ ok: true, value: 500 });
		expect(parseIntervalMs('10000')).toEqual({ ok: true, value: 10_000 });
	});

	it.each(['499', '10001', '-1000', '1e3', '1000.0', ' 1000', '0x3e8', 'abc', '', '9'.repeat(20)])(
		'rejects %j with 400 bad_interval',
		(raw) => {
			const result = failure(parseIntervalMs(raw));
			expect(result.status).toBe(400);
			expect(result.body.error.code).toBe('bad_interval');
		}
	);
});

describe('parseTopics', () => {
	it('defaults to all topics and de-duplicates', () => {
		expect(parseTopics(null)).toEqual({ ok: true, value: ['time', 'system', 'stocks'] });
		expect(parseTopics('stocks,time,stocks')).toEqual({ ok: true, value: ['stocks', 'time'] });
	});

	it.each(['weather', 'time,', 'TIME', ''])('rejects %j with 400 bad_topic', (raw) => {
		expect(failure(parseTopics(raw)).body.error.code).toBe('bad_topic');
	});
});

describe('parseTrainingOptions', () => {
	it('defaults every field and accepts the bounds', () => {
		expect(parseTrainingOptions(undefined)).toEqual({ ok: true, value: DEFAULTS.training });
		expect(parseTrainingOptions({})).toEqual({ ok: true, value: DEFAULTS.training });
		expect(
			parseTrainingOptions({
				total_epochs: 1,
				steps_per_epoch: 1000,
				step_ms: 1,
				epoch_pause_ms: 0
			})
		).toEqual({
			ok: true,
			value: { total_epochs: 1, steps_per_epoch: 1000, step_ms: 1, epoch_pause_ms: 0 }
		});
	});

	it.each([null, [], 'x', 3, true])('rejects a body that is not an object (%j)', (body) => {
		expect(failure(parseTrainingOptions(body)).body.error).toEqual({
			code: 'bad_body',
			message: 'the body must be a JSON object'
		});
	});

	it('rejects unknown fields', () => {
		expect(failure(parseTrainingOptions({ epochs: 3 })).body.error.code).toBe('unknown_field');
	});

	it.each([
		{ total_epochs: 0 },
		{ total_epochs: 101 },
		{ steps_per_epoch: 1001 },
		{ step_ms: 0 },
		{ step_ms: 10_001 },
		{ epoch_pause_ms: -1 },
		{ epoch_pause_ms: 60_001 },
		{ total_epochs: 1.5 },
		{ total_epochs: '3' },
		{ total_epochs: null }
	])('rejects %j with 400 bad_parameter', (body) => {
		const result = failure(parseTrainingOptions(body));
		expect(result.status).toBe(400);
		expect(result.body.error.code).toBe('bad_parameter');
	});
});

describe('event ids', () => {
	it('parses decimal ids and nothing else', () => {
		expect(parseEventId('12')).toBe(12);
		expect(parseEventId('0')).toBe(0);
		for (const raw of [null, undefined, '', '-1', '1.5', '1e3', ' 1', 'abc', '99999999999999999']) {
			expect(parseEventId(raw)).toBeNull();
		}
	});

	it('round-trips multiplexed ids and drops junk', () => {
		expect(parseMultiplexId('time=12;stocks=40')).toEqual({ time: 12, stocks: 40 });
		expect(parseMultiplexId('time=x;weather=1;stocks=3;;system')).toEqual({ stocks: 3 });
		expect(parseMultiplexId(null)).toEqual({});
		expect(formatMultiplexId({ stocks: 40, time: 12 }, ['time', 'system', 'stocks'])).toBe(
			'time=12;stocks=40'
		);
	});
});
