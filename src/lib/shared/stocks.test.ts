import { describe, expect, it } from 'vitest';
import { round } from './numbers';
import { seededRandom } from './random';
import { createStockWalk, parseStockSymbols } from './stocks';

const START = parseStockSymbols('AAPL:150,GOOGL:2800,MSFT:300');

describe('parseStockSymbols', () => {
	it('parses symbols with their starting prices, rounded to cents', () => {
		expect(parseStockSymbols(' AAPL:150 , BRK.B:1.006,X-Y:0')).toEqual([
			{ symbol: 'AAPL', price: 150 },
			{ symbol: 'BRK.B', price: 1.01 },
			{ symbol: 'X-Y', price: 0 }
		]);
	});

	it.each([
		'AAPL',
		'AAPL:',
		'aapl:1',
		'AAPL:-1',
		'AAPL:abc',
		'AAPL:1,AAPL:2',
		':1',
		'TOOLONGSYMBOL:1'
	])('throws on %j', (config) => {
		expect(() => parseStockSymbols(config)).toThrow(/STOCK_SYMBOLS/);
	});
});

describe('createStockWalk', () => {
	it('is deterministic with a seeded random source', () => {
		const a = createStockWalk(START, seededRandom(42));
		const b = createStockWalk(START, seededRandom(42));
		for (let i = 0; i < 50; i++) {
			expect(a.nextDelayMs()).toBe(b.nextDelayMs());
			expect(a.step(i)).toEqual(b.step(i));
		}
		expect(a.snapshot(1)).toEqual(b.snapshot(1));
	});

	it('moves one symbol by less than 0.5, keeping change consistent with the price', () => {
		const walk = createStockWalk(START, seededRandom(7));
		const prices = new Map(START.map((s) => [s.symbol, s.price]));
		for (let i = 0; i < 500; i++) {
			const quote = walk.step(1000 + i);
			const before = prices.get(quote.symbol)!;
			expect(quote.change).toBe(round(quote.price - before, 2));
			expect(Math.abs(quote.change)).toBeLessThanOrEqual(0.5);
			expect(quote.epoch_ms).toBe(1000 + i);
			expect(round(quote.price, 2)).toBe(quote.price);
			prices.set(quote.symbol, quote.price);
		}
		const snapshot = walk.snapshot(5);
		expect(snapshot.map((q) => [q.symbol, q.price])).toEqual([...prices]);
	});

	it('never goes below 0, even from a price near 0', () => {
		const walk = createStockWalk([{ symbol: 'PENNY', price: 0.1 }], seededRandom(3));
		for (let i = 0; i < 2000; i++) {
			const quote = walk.step(i);
			expect(quote.price).toBeGreaterThanOrEqual(0);
		}
		// The edge cases of the random source: 0 moves down by 0.5, just under 1 up by 0.5.
		const low = createStockWalk([{ symbol: 'P', price: 0.2 }], () => 0);
		expect(low.step(0)).toMatchObject({ price: 0, change: -0.2 });
		const high = createStockWalk([{ symbol: 'P', price: 1 }], () => 0.999999);
		expect(high.step(0)).toMatchObject({ price: 1.5, change: 0.5 });
	});

	it('waits 500–1500 ms between moves', () => {
		const walk = createStockWalk(START, seededRandom(11));
		const delays = Array.from({ length: 1000 }, () => walk.nextDelayMs());
		for (const delay of delays) {
			expect(Number.isInteger(delay)).toBe(true);
			expect(delay).toBeGreaterThanOrEqual(500);
			expect(delay).toBeLessThan(1500);
		}
		expect(createStockWalk(START, () => 0).nextDelayMs()).toBe(500);
		expect(createStockWalk(START, () => 0.999999).nextDelayMs()).toBe(1499);
	});

	it('snapshots every symbol with change 0 before its first move', () => {
		const walk = createStockWalk(START, seededRandom(1));
		expect(walk.symbols).toEqual(['AAPL', 'GOOGL', 'MSFT']);
		expect(walk.snapshot(9)).toEqual([
			{ symbol: 'AAPL', price: 150, change: 0, epoch_ms: 9 },
			{ symbol: 'GOOGL', price: 2800, change: 0, epoch_ms: 9 },
			{ symbol: 'MSFT', price: 300, change: 0, epoch_ms: 9 }
		]);
	});

	it("keeps a quote as it was until it moves: the move's time, or the first snapshot's", () => {
		const walk = createStockWalk(START, seededRandom(3));
		const first = walk.snapshot(10);
		const moved = walk.step(20);
		const later = walk.snapshot(30);
		for (const quote of later) {
			const expected =
				quote.symbol === moved.symbol ? moved : first.find((q) => q.symbol === quote.symbol);
			expect(quote).toEqual(expected);
		}
	});

	it('refuses an empty symbol list', () => {
		expect(() => createStockWalk([])).toThrow();
	});
});
