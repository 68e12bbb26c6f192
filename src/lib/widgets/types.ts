/** Types the widgets accept as props: any Svelte store of the right shape, ours or yours. */
import type { Readable } from 'svelte/store';
import type { ConnectionState, FeedValue } from '$lib/client';
import type { StockQuote } from '$lib/shared/contract';

/** A connection to show: a store of its state, and optionally a way to reconnect by hand. */
export type ConnectionSource = Readable<ConnectionState> & { reconnect?: () => void };

/** The latest value of one feed, as `createFeedSource().event(name)` gives it. */
export type FeedStore<T> = Readable<FeedValue<T> | undefined>;

/** Gives the quote store of one symbol, e.g. `stocksFeed().symbol` or `multiplexFeed().stock`. */
export type QuoteStores = (symbol: string) => FeedStore<StockQuote>;

/** The default symbols, those the contract's server starts with. */
export const DEFAULT_SYMBOLS: readonly string[] = ['AAPL', 'GOOGL', 'MSFT'];
