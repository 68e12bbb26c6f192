import { DEFAULTS } from '$lib/shared/contract';
import { parseStockSymbols, type StockSymbol } from '$lib/shared/stocks';

/** Every setting of the server, read from the environment (see the README's config table). */
export interface ServerConfig {
	/** `ALLOWED_ORIGINS`: exact origins allowed cross-origin; empty = same origin only. */
	allowedOrigins: string[];
	/** `SSE_RETRY_MS`: the `retry:` every stream starts with. Default 2000. */
	retryMs: number;
	/** `SSE_HEARTBEAT_MS`: idle time before a `ping`. Default 15000. */
	heartbeatMs: number;
	/** `MAX_TRAINING_JOBS`: running jobs at once. Default 8. */
	maxTrainingJobs: number;
	/** `TRAINING_TTL_MS`: how long a finished job is kept. Default 600000. */
	trainingTtlMs: number;
	/** `STOCK_SYMBOLS`: symbols and starting prices. Default `AAPL:150,GOOGL:2800,MSFT:300`. */
	stockSymbols: StockSymbol[];
	/** `SSE_REPLAY_EVENTS`: events each feed keeps for `Last-Event-ID`. Default 512. */
	replayEvents: number;
	/** `SSE_CLIENT_BUFFER_BYTES`: unread bytes before a client is dropped as slow. Default 262144. */
	clientBufferBytes: number;
	/** `MAX_CONNECTIONS`: open streams in total (then 503). Default 20000. */
	maxConnections: number;
	/** `MAX_CONNECTIONS_PER_CLIENT`: open streams per client address (then 429). Default 64. */
	maxConnectionsPerClient: number;
}

/** Raised for a malformed setting; the server refuses to start rather than guess. */
export class ConfigError extends Error {
	override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name];
	if (raw === undefined || raw.trim() === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < min || value > max) {
		throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
	}
	return value;
}

/** Reads and validates the settings; throws `ConfigError` naming the bad variable. */
export function readConfig(env: Env = process.env): ServerConfig {
	let stockSymbols: StockSymbol[];
	try {
		stockSymbols = parseStockSymbols(env.STOCK_SYMBOLS?.trim() || DEFAULTS.stockSymbols);
	} catch (error) {
		throw new ConfigError((error as Error).message);
	}
	return {
		allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
			.split(',')
			.map((o) => o.trim())
			.filter(Boolean),
		retryMs: integer(env, 'SSE_RETRY_MS', DEFAULTS.retryMs, 0, 3_600_000),
		heartbeatMs: integer(env, 'SSE_HEARTBEAT_MS', DEFAULTS.heartbeatMs, 100, 3_600_000),
		maxTrainingJobs: integer(env, 'MAX_TRAINING_JOBS', DEFAULTS.maxTrainingJobs, 1, 10_000),
		trainingTtlMs: integer(env, 'TRAINING_TTL_MS', DEFAULTS.trainingTtlMs, 0, 7 * 86_400_000),
		stockSymbols,
		replayEvents: integer(env, 'SSE_REPLAY_EVENTS', 512, 0, 1_000_000),
		clientBufferBytes: integer(env, 'SSE_CLIENT_BUFFER_BYTES', 256 * 1024, 1024, 1 << 30),
		maxConnections: integer(env, 'MAX_CONNECTIONS', 20_000, 1, 10_000_000),
		maxConnectionsPerClient: integer(env, 'MAX_CONNECTIONS_PER_CLIENT', 64, 1, 10_000_000)
	};
}
