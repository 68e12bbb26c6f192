/**
 * The wire contract as types: every payload, every feed's event map, and the defaults.
 * Server producers, MSW handlers, stores and widgets are all typed from these, so a renamed
 * field fails the type check everywhere at once. See docs/CONTRACT.md. The values a client needs
 * at run time (topics, paths, stream timings) are in wire.ts and re-exported here.
 */
import { HEARTBEAT_MS, RETRY_MS, TOPICS } from './wire';

export { HEARTBEAT_MS, PATHS, RETRY_MS, TOPICS, trainingEventsPath } from './wire';

/** `GET /api/feeds/time`: one unnamed event a second. */
export interface TimeTick {
	/** `HH:MM:SS`, UTC. */
	time: string;
	/** ISO 8601, UTC, whole seconds. */
	iso: string;
	epoch_ms: number;
}

/** `GET /api/feeds/system`: one host sample; a value the host cannot give is `null`. */
export interface SystemSample {
	cpu_percent: number | null;
	memory_percent: number | null;
	memory_used_mb: number | null;
	memory_total_mb: number | null;
	cpu_cores: number[] | null;
	load_avg: [number, number, number] | null;
	uptime_s: number | null;
	net_rx_bytes_per_s: number | null;
	net_tx_bytes_per_s: number | null;
	epoch_ms: number;
}

/** Training: a named `progress` event. */
export interface TrainingProgress {
	epoch: number;
	total_epochs: number;
	step: number;
	steps_per_epoch: number;
	/** The current epoch's progress, 0–100, 2 decimals. */
	progress_percent: number;
	/** The whole job's progress, 0–100, 2 decimals. */
	overall_percent: number;
	/** `(1/epoch) * (1 - step/steps_per_epoch) + 0.1`, 4 decimals. */
	loss: number;
}

/** Training: the named `complete` event that ends a job's stream. */
export interface TrainingComplete {
	message: 'Training complete!';
	final_loss: number;
	duration_ms: number;
}

/** Training: the named `cancelled` event that ends a cancelled job's stream. */
export interface TrainingCancelled {
	message: string;
	duration_ms: number;
}

/** Body of `POST /api/training`; every field optional, integers only. */
export interface TrainingOptions {
	total_epochs: number;
	steps_per_epoch: number;
	step_ms: number;
	epoch_pause_ms: number;
}

/** A job's state in `GET /api/training`. */
export type TrainingState = 'running' | 'complete' | 'cancelled';

/** One entry of `GET /api/training`. */
export interface TrainingJobInfo {
	id: string;
	state: TrainingState;
	created_at: string;
	progress: TrainingProgress | null;
	events: string;
}

/** `201` answer of `POST /api/training`. */
export interface TrainingCreated {
	id: string;
	events: string;
}

/** `GET /api/training`. */
export interface TrainingJobList {
	jobs: TrainingJobInfo[];
}

/** Stocks: one named event per symbol, the event name being the symbol. */
export interface StockQuote {
	symbol: string;
	price: number;
	change: number;
	epoch_ms: number;
}

/** The heartbeat: a named `ping` event with no id. */
export interface Ping {
	epoch_ms: number;
}

/** `GET /api/health`. */
export interface Health {
	status: 'ok' | 'shutting_down';
	uptime_s: number;
	connections: number;
	/** The feeds' bus, as this instance sees it (`memory` in one process and in the mock). */
	bus: HealthBus;
}

/** The bus part of `Health`: `memory` for one process, `redis` for several instances. */
export interface HealthBus {
	kind: 'memory' | 'redis';
	/** `down` while Redis cannot be reached: open streams stay open, pings go on. */
	state: 'ok' | 'connecting' | 'down';
	/** Topics whose producer runs on this instance (it holds their lease). */
	leases: string[];
	/** Errors talking to the bus since start. */
	errors: number;
	/** How long the newest event read took from publish to this instance, in ms. */
	lag_ms: number;
}

/** Every error the API answers: `{"error": {"code", "message"}}`. */
export interface ApiErrorBody {
	error: { code: ApiErrorCode; message: string };
}

/** The machine-readable error codes. */
export type ApiErrorCode =
	| 'bad_request'
	| 'bad_json'
	| 'bad_body'
	| 'unknown_field'
	| 'bad_parameter'
	| 'bad_symbol'
	| 'bad_topic'
	| 'bad_interval'
	| 'bad_history'
	| 'bad_last_event_id'
	| 'not_found'
	| 'method_not_allowed'
	| 'already_finished'
	| 'body_too_large'
	| 'too_many_jobs'
	| 'too_many_connections'
	| 'shutting_down'
	| 'at_capacity'
	| 'bus_unavailable'
	| 'internal';

/** Event map of the time feed (event name → payload). `message` is the unnamed event. */
export interface TimeEvents {
	message: TimeTick;
	ping: Ping;
}

/** Event map of the system feed. */
export interface SystemEvents {
	message: SystemSample;
	ping: Ping;
}

/** Event map of one training job's stream. */
export interface TrainingEvents {
	progress: TrainingProgress;
	complete: TrainingComplete;
	cancelled: TrainingCancelled;
	ping: Ping;
}

/** Event map of the stocks feed: every symbol is its own event name. */
export type StocksEvents = { ping: Ping } & { [symbol: string]: StockQuote | Ping };

/** Event map of the multiplexed stream, `GET /api/feeds?topics=…`. */
export type MultiplexEvents = {
	time: TimeTick;
	system: SystemSample;
	ping: Ping;
} & { [stocksSymbol: `stocks:${string}`]: StockQuote };

/** One topic of the multiplexed stream. */
export type Topic = (typeof TOPICS)[number];

/** Defaults the contract fixes. */
export const DEFAULTS = {
	retryMs: RETRY_MS,
	heartbeatMs: HEARTBEAT_MS,
	systemIntervalMs: 1000,
	systemIntervalMinMs: 500,
	systemIntervalMaxMs: 10_000,
	/** The most past events `?history=` may ask for, per feed. */
	historyMax: 500,
	maxTrainingJobs: 8,
	trainingTtlMs: 600_000,
	maxBodyBytes: 16 * 1024,
	stockSymbols: 'AAPL:150,GOOGL:2800,MSFT:300',
	training: {
		total_epochs: 10,
		steps_per_epoch: 100,
		step_ms: 20,
		epoch_pause_ms: 500
	} satisfies TrainingOptions
} as const;

/** Inclusive integer bounds of each training option. */
export const TRAINING_LIMITS: Record<keyof TrainingOptions, readonly [number, number]> = {
	total_epochs: [1, 100],
	steps_per_epoch: [1, 1000],
	step_ms: [1, 10_000],
	epoch_pause_ms: [0, 60_000]
};
