import { describe, expect, it } from 'vitest';
import { defaultConfig } from '$lib/backend/config';
import { ConfigError, readConfig } from './config';

/** Each integer setting, a value inside its range, and values it must refuse. */
const INTEGERS: [name: string, field: string, good: string, bad: string[]][] = [
	['SSE_RETRY_MS', 'retryMs', '0', ['-1', '3600001', '1.5', 'abc', '1e3x', '0x10', '1e3', '0b1']],
	['SSE_HEARTBEAT_MS', 'heartbeatMs', '100', ['99', '3600001', 'ten', '2.5']],
	['MAX_TRAINING_JOBS', 'maxTrainingJobs', '1', ['0', '10001', '-3', 'many']],
	['TRAINING_TTL_MS', 'trainingTtlMs', '0', ['-1', String(7 * 86_400_000 + 1), 'forever']],
	['SSE_REPLAY_EVENTS', 'replayEvents', '1000000', ['-1', '1000001', '1.1']],
	['SSE_CLIENT_BUFFER_BYTES', 'clientBufferBytes', '1024', ['1023', String(2 ** 30 + 1), '1k']],
	['MAX_CONNECTIONS', 'maxConnections', '10000000', ['0', '10000001', 'NaN']],
	['MAX_CONNECTIONS_PER_CLIENT', 'maxConnectionsPerClient', '1', ['0', '-1', 'Infinity']]
];

describe('readConfig', () => {
	it('gives the defaults for an empty environment, and for blank values', () => {
		expect(readConfig({})).toEqual(defaultConfig());
		const blank = Object.fromEntries(INTEGERS.map(([name]) => [name, '  ']));
		expect(readConfig({ ...blank, STOCK_SYMBOLS: ' ' })).toEqual(defaultConfig());
	});

	it.each(INTEGERS)('reads %s within its range', (name, field, good) => {
		expect(readConfig({ [name]: good })).toMatchObject({ [field]: Number(good) });
	});

	it.each(INTEGERS.flatMap(([name, , , bad]) => bad.map((value) => [name, value])))(
		'refuses %s=%s with a ConfigError that names the variable',
		(name, value) => {
			const read = () => readConfig({ [name]: value });
			expect(read).toThrow(ConfigError);
			expect(read).toThrow(new RegExp(`^${name} must be an integer from`));
		}
	);

	it.each([
		['AAPL', "malformed entry 'AAPL'"],
		['AAPL:', "malformed entry 'AAPL:'"],
		['AAPL:-1', "malformed entry 'AAPL:-1'"],
		['AAPL:abc', "malformed entry 'AAPL:abc'"],
		['aapl:150', "malformed entry 'aapl:150'"],
		['AAPL:150,AAPL:151', "'AAPL' is listed twice"],
		['AAPL:150,,MSFT:300', "malformed entry ''"]
	])('refuses STOCK_SYMBOLS=%s with a ConfigError', (value, why) => {
		const read = () => readConfig({ STOCK_SYMBOLS: value });
		expect(read).toThrow(ConfigError);
		expect(read).toThrow(`STOCK_SYMBOLS: ${why}`);
	});

	it('reads STOCK_SYMBOLS and ALLOWED_ORIGINS', () => {
		const config = readConfig({
			STOCK_SYMBOLS: ' TSLA:200.555 , NVDA:0 ',
			ALLOWED_ORIGINS: ' https://a.example ,, https://b.example '
		});
		expect(config.stockSymbols).toEqual([
			{ symbol: 'TSLA', price: 200.56 },
			{ symbol: 'NVDA', price: 0 }
		]);
		expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
	});
});
