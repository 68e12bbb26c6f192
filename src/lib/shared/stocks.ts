import type { StockQuote } from './contract';
import { round } from './numbers';
import type { RandomSource } from './random';
import { SYMBOL_PATTERN } from './symbols';

export { SYMBOL_PATTERN };

/** A symbol and its starting price, as configured by `STOCK_SYMBOLS`. */
export interface StockSymbol {
	symbol: string;
	price: number;
}

/** Parses `AAPL:150,GOOGL:2800` into symbols with starting prices; throws on a malformed entry. */
export function parseStockSymbols(config: string): StockSymbol[] {
	const symbols: StockSymbol[] = [];
	for (const entry of config.split(',')) {
		const [symbol = '', price = ''] = entry.trim().split(':');
		const value = Number(price);
		if (
			!SYMBOL_PATTERN.test(symbol) ||
			price.trim() === '' ||
			!Number.isFinite(value) ||
			value < 0
		) {
			throw new Error(`STOCK_SYMBOLS: malformed entry '${entry.trim()}' (want SYMBOL:PRICE)`);
		}
		if (symbols.some((s) => s.symbol === symbol)) {
			throw new Error(`STOCK_SYMBOLS: '${symbol}' is listed twice`);
		}
		symbols.push({ symbol, price: round(value, 2) });
	}
	return symbols;
}

/** One shared random walk over a set of symbols. */
export interface StockWalk {
	/** Moves one random symbol by uniform(−0.5, 0.5), never below 0, and returns its new quote. */
	step(epochMs: number): StockQuote;
	/** The delay before the next move: uniform 500–1500 ms. */
	nextDelayMs(): number;
	/**
	 * The current quote of every symbol: `change` and `epoch_ms` are those of its last move; before
	 * its first, `change` is 0 and `epoch_ms` the first snapshot's, so an unchanged quote reads the same.
	 */
	snapshot(epochMs: number): StockQuote[];
	/** The configured symbols, in order. */
	readonly symbols: readonly string[];
}

/** Creates the stock walk; pass a seeded `random` for a repeatable walk. */
export function createStockWalk(
	start: readonly StockSymbol[],
	random: RandomSource = Math.random
): StockWalk {
	if (start.length === 0) throw new Error('a stock walk needs at least one symbol');
	const state = start.map((s) => ({
		symbol: s.symbol,
		price: s.price,
		change: 0,
		epoch_ms: null as number | null
	}));
	const quote = (s: (typeof state)[number], epochMs: number): StockQuote => ({
		symbol: s.symbol,
		price: s.price,
		change: s.change,
		epoch_ms: (s.epoch_ms ??= epochMs)
	});
	return {
		symbols: state.map((s) => s.symbol),
		step(epochMs) {
			const s = state[Math.min(state.length - 1, Math.floor(random() * state.length))]!;
			const next = Math.max(0, round(s.price + (random() - 0.5), 2));
			s.change = round(next - s.price, 2);
			s.price = next;
			s.epoch_ms = epochMs;
			return quote(s, epochMs);
		},
		nextDelayMs: () => 500 + Math.floor(random() * 1000),
		snapshot: (epochMs) => state.map((s) => quote(s, epochMs))
	};
}
