import { DEFAULTS } from '$lib/shared/contract';
import { parseStockSymbols, type StockSymbol } from '$lib/shared/stocks';

/** Every setting of the feeds; the server reads them from the environment (README's config table). */
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
	/** `SSE_STALL_MS`: time a client may take no bytes while some wait before it is dropped. Default 30000. */
	stallMs: number;
	/** `MAX_CONNECTIONS`: open streams in total (then 503). Default 20000. */
	maxConnections: number;
	/** `MAX_CONNECTIONS_PER_CLIENT`: open streams per client address (then 429). Default 64. */
	maxConnectionsPerClient: number;
}

/** The defaults of every setting, each overridable. */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
	return {
		allowedOrigins: [],
		retryMs: DEFAULTS.retryMs,
		heartbeatMs: DEFAULTS.heartbeatMs,
		maxTrainingJobs: DEFAULTS.maxTrainingJobs,
		trainingTtlMs: DEFAULTS.trainingTtlMs,
		stockSymbols: parseStockSymbols(DEFAULTS.stockSymbols),
		replayEvents: 512,
		clientBufferBytes: 256 * 1024,
		stallMs: 30_000,
		maxConnections: 20_000,
		maxConnectionsPerClient: 64,
		...overrides
	};
}
