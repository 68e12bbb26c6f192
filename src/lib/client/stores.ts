/**
 * Typed feed stores over the contract's streams. Each takes a base URL ('' = same origin), so a
 * page can read another server's feeds, and passes every other option to `createFeedSource`.
 */
import type { Readable } from 'svelte/store';
import type {
	MultiplexEvents,
	StockQuote,
	StocksEvents,
	SystemEvents,
	SystemSample,
	TimeEvents,
	TimeTick,
	Topic,
	TrainingEvents
} from '$lib/shared/contract';
import {
	MULTIPLEX_PATH,
	STOCKS_PATH,
	SYSTEM_PATH,
	TIME_PATH,
	TOPICS,
	trainingEventsPath
} from '$lib/shared/wire';
import { createFeedSource, type FeedSource } from './feed-source';
import { joinUrl } from './routing';
import type { FeedSourceOptions, FeedValue } from './types';

/** Options every feed helper takes. */
export interface FeedHelperOptions extends Omit<FeedSourceOptions, 'closeOn' | 'listen'> {
	/** Where the API lives, e.g. `https://feeds.example.com`. Default: '' (same origin). */
	baseUrl?: string;
}

/** Options of the live feeds (time, system, stocks, multiplexed), which can start with history. */
export interface LiveFeedOptions extends FeedHelperOptions {
	/**
	 * Asks for the feed's last `history` events (0–500; per topic on the multiplexed stream) before
	 * the live ones, each with its own id, so charts start full. A resume ignores it. Default: none.
	 */
	history?: number;
}

/** The time feed; `latest` is its unnamed event. */
export interface TimeFeed extends FeedSource<TimeEvents> {
	/** The latest tick. */
	readonly latest: Readable<FeedValue<TimeTick> | undefined>;
}

/** The system feed; `latest` is its unnamed event. */
export interface SystemFeed extends FeedSource<SystemEvents> {
	/** The latest host sample. */
	readonly latest: Readable<FeedValue<SystemSample> | undefined>;
}

/** The stocks feed: one named event per symbol. */
export interface StocksFeed extends FeedSource<StocksEvents> {
	/** The latest quote of one symbol. */
	symbol(symbol: string): Readable<FeedValue<StockQuote> | undefined>;
}

/** The multiplexed stream: several feeds over one connection. */
export interface MultiplexFeed extends FeedSource<MultiplexEvents> {
	/** The latest tick of the `time` topic. */
	readonly time: Readable<FeedValue<TimeTick> | undefined>;
	/** The latest sample of the `system` topic. */
	readonly system: Readable<FeedValue<SystemSample> | undefined>;
	/** The latest quote of one symbol of the `stocks` topic. */
	stock(symbol: string): Readable<FeedValue<StockQuote> | undefined>;
}

/** One training job's stream; it closes itself on `complete` or `cancelled`. */
export interface TrainingJob extends FeedSource<TrainingEvents> {
	/** The job id. */
	readonly id: string;
}

function query(params: Record<string, string | number | undefined>): string {
	const parts = Object.entries(params)
		.filter((entry) => entry[1] !== undefined)
		.map(([key, value]) => `${key}=${value}`);
	return parts.length ? `?${parts.join('&')}` : '';
}

function list(values: readonly string[] | undefined): string | undefined {
	return values === undefined ? undefined : values.map(encodeURIComponent).join(',');
}

/** The source options of a live feed: history the URL asks for is also what a joining tab gets. */
function sourceOptions(rest: FeedHelperOptions, history: number | undefined, listen: string[]) {
	return { sharedHistory: history, ...rest, listen };
}

/** The time feed, `GET /api/feeds/time`: one tick a second. */
export function timeFeed(options: LiveFeedOptions = {}): TimeFeed {
	const { baseUrl = '', history, ...rest } = options;
	const source = createFeedSource<TimeEvents>(
		joinUrl(baseUrl, TIME_PATH) + query({ history }),
		sourceOptions(rest, history, ['message'])
	);
	return Object.assign(source, { latest: source.event('message') });
}

/** The system feed, `GET /api/feeds/system`; `intervalMs` 500–10000. Default: the server's (1000). */
export function systemFeed(options: LiveFeedOptions & { intervalMs?: number } = {}): SystemFeed {
	const { baseUrl = '', intervalMs, history, ...rest } = options;
	const url = joinUrl(baseUrl, SYSTEM_PATH) + query({ interval_ms: intervalMs, history });
	const source = createFeedSource<SystemEvents>(url, sourceOptions(rest, history, ['message']));
	return Object.assign(source, { latest: source.event('message') });
}

/**
 * The stocks feed, `GET /api/feeds/stocks`. Default symbols: all the server's. Name the symbols
 * you read: the staleness watchdog only sees events it listens for.
 */
export function stocksFeed(
	options: LiveFeedOptions & { symbols?: readonly string[] } = {}
): StocksFeed {
	const { baseUrl = '', symbols, history, ...rest } = options;
	const url = joinUrl(baseUrl, STOCKS_PATH) + query({ symbols: list(symbols), history });
	const source = createFeedSource<StocksEvents>(
		url,
		sourceOptions(rest, history, [...(symbols ?? [])])
	);
	return Object.assign(source, {
		symbol: (symbol: string) => source.event(symbol) as Readable<FeedValue<StockQuote> | undefined>
	});
}

/**
 * The multiplexed stream, `GET /api/feeds`. Default topics: all three; symbols, interval and
 * history as above (`history` counts per topic).
 */
export function multiplexFeed(
	options: LiveFeedOptions & {
		topics?: readonly Topic[];
		symbols?: readonly string[];
		intervalMs?: number;
	} = {}
): MultiplexFeed {
	const { baseUrl = '', topics, symbols, intervalMs, history, ...rest } = options;
	const url =
		joinUrl(baseUrl, MULTIPLEX_PATH) +
		query({
			topics: list(topics),
			symbols: list(symbols),
			interval_ms: intervalMs,
			history
		});
	const carried = topics ?? TOPICS;
	const listen = [
		...carried.filter((topic) => topic !== 'stocks'),
		...(carried.includes('stocks') ? (symbols ?? []).map((s) => `stocks:${s}`) : [])
	];
	const source = createFeedSource<MultiplexEvents>(url, sourceOptions(rest, history, listen));
	return Object.assign(source, {
		time: source.event('time'),
		system: source.event('system'),
		stock: (symbol: string) => source.event(`stocks:${symbol}`)
	});
}

/** One training job's events, `GET /api/training/<id>/events`; closes on `complete` or `cancelled`. */
export function trainingJob(id: string, options: FeedHelperOptions = {}): TrainingJob {
	const { baseUrl = '', ...rest } = options;
	const source = createFeedSource<TrainingEvents>(joinUrl(baseUrl, trainingEventsPath(id)), {
		...rest,
		closeOn: ['complete', 'cancelled'],
		listen: ['progress']
	});
	return Object.assign(source, { id });
}
