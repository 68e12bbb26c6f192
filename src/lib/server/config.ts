import { DEFAULTS } from '$lib/shared/contract';
import { parseStockSymbols, type StockSymbol } from '$lib/shared/stocks';
import { defaultConfig, type ServerConfig } from '$lib/backend/config';

export type { ServerConfig };

/** Raised for a malformed setting; the server refuses to start rather than guess. */
export class ConfigError extends Error {
	override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name];
	if (raw === undefined || raw.trim() === '') return fallback;
	// Decimal digits only: Number() would also take '0x10', '1e3' and '0b1' as integers.
	const value = /^\s*-?\d{1,16}\s*$/.test(raw) ? Number(raw) : NaN;
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
	const base = defaultConfig();
	return {
		allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
			.split(',')
			.map((o) => o.trim())
			.filter(Boolean),
		retryMs: integer(env, 'SSE_RETRY_MS', base.retryMs, 0, 3_600_000),
		heartbeatMs: integer(env, 'SSE_HEARTBEAT_MS', base.heartbeatMs, 100, 3_600_000),
		maxTrainingJobs: integer(env, 'MAX_TRAINING_JOBS', base.maxTrainingJobs, 1, 10_000),
		trainingTtlMs: integer(env, 'TRAINING_TTL_MS', base.trainingTtlMs, 0, 7 * 86_400_000),
		stockSymbols,
		replayEvents: integer(env, 'SSE_REPLAY_EVENTS', base.replayEvents, 0, 1_000_000),
		clientBufferBytes: integer(
			env,
			'SSE_CLIENT_BUFFER_BYTES',
			base.clientBufferBytes,
			1024,
			1 << 30
		),
		stallMs: integer(env, 'SSE_STALL_MS', base.stallMs, 100, 3_600_000),
		maxConnections: integer(env, 'MAX_CONNECTIONS', base.maxConnections, 1, 10_000_000),
		maxConnectionsPerClient: integer(
			env,
			'MAX_CONNECTIONS_PER_CLIENT',
			base.maxConnectionsPerClient,
			1,
			10_000_000
		)
	};
}

/** Where the feeds' bus lives: in this process, or on Redis for several instances. */
export interface BusConfig {
	/** `REDIS_URL`: `redis://` or `rediss://`; null (unset) keeps the in-memory bus. */
	redisUrl: string | null;
	/** `REDIS_LEASE_MS`: how long a producer lease lasts unless renewed. Default 3000. */
	leaseMs: number;
	/** `REDIS_KEY_PREFIX`: prefix of every key, so deployments can share a Redis. Default `live-feeds:`. */
	keyPrefix: string;
}

/** Reads and validates the bus settings; throws `ConfigError` naming the bad variable. */
export function readBusConfig(env: Env = process.env): BusConfig {
	const raw = env.REDIS_URL?.trim() ?? '';
	let redisUrl: string | null = null;
	if (raw !== '') {
		let url: URL;
		try {
			url = new URL(raw);
		} catch {
			throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got '${raw}'`);
		}
		if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
			throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got '${raw}'`);
		}
		redisUrl = raw;
	}
	return {
		redisUrl,
		leaseMs: integer(env, 'REDIS_LEASE_MS', 3000, 100, 600_000),
		keyPrefix: env.REDIS_KEY_PREFIX?.trim() || 'live-feeds:'
	};
}
