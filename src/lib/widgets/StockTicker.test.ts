// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '$lib/mocks/node';
import type { StockQuote } from '$lib/shared/contract';
import StockTicker from './StockTicker.svelte';
import { TEST_BASE, feedStore, feedValue } from './testing';

let mock: MockServer;
beforeAll(() => (mock = createMockServer({ seed: 3 })));
afterEach(() => {
	cleanup();
	mock.server.resetHandlers();
	mock.setScenario('normal');
});
afterAll(() => mock.close());

const quote = (symbol: string, price: number, change: number): StockQuote => ({
	symbol,
	price,
	change,
	epoch_ms: 0
});

function stores(initial: Record<string, StockQuote>) {
	const map = new Map(Object.entries(initial).map(([s, q]) => [s, feedStore(q)]));
	return { map, quotes: (symbol: string) => map.get(symbol) ?? feedStore<StockQuote>() };
}

describe('StockTicker', () => {
	it('shows a card per symbol, waiting until the first quote', () => {
		render(StockTicker, { props: { baseUrl: TEST_BASE, symbols: ['AAPL', 'MSFT'] } });
		expect(screen.getByTestId('stock-AAPL-price').textContent?.trim()).toBe('––.––');
		expect(screen.getByTestId('stock-AAPL-change').textContent?.trim()).toBe('–');
		expect(screen.getByTestId('stock-AAPL').getAttribute('aria-label')).toBe('AAPL waiting');
		expect(screen.getByTestId('stock-MSFT')).toBeTruthy();
		expect(screen.queryByTestId('stock-GOOGL')).toBeNull();
	});

	it('shows live prices from the feed', async () => {
		render(StockTicker, { props: { baseUrl: TEST_BASE, symbols: ['AAPL', 'MSFT'] } });
		await waitFor(() => {
			expect(screen.getByTestId('stock-AAPL-price').textContent?.trim()).toMatch(/^\d+\.\d\d$/);
			expect(screen.getByTestId('stock-MSFT-price').textContent?.trim()).toMatch(/^\d+\.\d\d$/);
		});
	});

	it('colours a rise up and a fall down', async () => {
		const { quotes } = stores({
			AAPL: quote('AAPL', 150.23, 0.23),
			MSFT: quote('MSFT', 299.5, -0.5)
		});
		render(StockTicker, { props: { symbols: ['AAPL', 'MSFT'], quotes } });
		await waitFor(() => expect(screen.getByTestId('stock-AAPL').dataset.trend).toBe('up'));
		expect(screen.getByTestId('stock-AAPL-change').textContent).toContain('+0.23');
		expect(screen.getByTestId('stock-MSFT').dataset.trend).toBe('down');
		expect(screen.getByTestId('stock-MSFT-change').textContent).toContain('\u22120.50');
		expect(screen.getByTestId('stock-MSFT-price').textContent?.trim()).toBe('299.50');
	});

	it('flashes on each move, alternating so every move restarts the flash', async () => {
		const { map, quotes } = stores({ AAPL: quote('AAPL', 150, 0) });
		render(StockTicker, { props: { symbols: ['AAPL'], quotes } });
		const card = screen.getByTestId('stock-AAPL');
		map.get('AAPL')?.set(feedValue(quote('AAPL', 150.3, 0.3)));
		await waitFor(() => expect(card.dataset.flash).toMatch(/^[ab]$/));
		const first = card.dataset.flash;
		map.get('AAPL')?.set(feedValue(quote('AAPL', 150.1, -0.2)));
		await waitFor(() => expect(card.dataset.trend).toBe('down'));
		expect(card.dataset.flash).toMatch(/^[ab]$/);
		expect(card.dataset.flash).not.toBe(first);
		const line = card.querySelector('.line');
		expect(line?.getAttribute('d')?.match(/[ML]/g)).toHaveLength(3);
	});

	it('follows a changed symbol list, a new symbol waiting for its first quote', async () => {
		const { quotes } = stores({ AAPL: quote('AAPL', 150.23, 0.23) });
		const { rerender } = render(StockTicker, { props: { symbols: ['AAPL'], quotes } });
		await waitFor(() =>
			expect(screen.getByTestId('stock-AAPL-price').textContent?.trim()).toBe('150.23')
		);
		await rerender({ symbols: ['MSFT', 'AAPL'] });
		const cards = screen.getAllByTestId(/^stock-[A-Z]+$/).map((card) => card.dataset.testid);
		expect(cards).toEqual(['stock-MSFT', 'stock-AAPL']);
		expect(screen.getByTestId('stock-MSFT-price').textContent?.trim()).toBe('––.––');
		expect(screen.getByTestId('stock-AAPL-price').textContent?.trim()).toBe('150.23');
		await rerender({ symbols: ['AAPL'] });
		expect(screen.queryByTestId('stock-MSFT')).toBeNull();
	});

	it('announces quotes in a polite live region', async () => {
		const { quotes } = stores({ AAPL: quote('AAPL', 150.23, 0.23) });
		const { container } = render(StockTicker, { props: { symbols: ['AAPL'], quotes } });
		const region = container.querySelector('[aria-live="polite"]');
		await waitFor(() => expect(region?.textContent).toBe('AAPL 150.23, up +0.23'));
	});

	it('goes offline for an unknown symbol (a 400 is fatal)', async () => {
		render(StockTicker, { props: { baseUrl: TEST_BASE, symbols: ['XYZ'] } });
		await waitFor(() =>
			expect(screen.getByTestId('connection-status').textContent).toContain('offline: HTTP 400')
		);
	});

	it('shows reconnecting while the server is down', async () => {
		mock.setScenario('down');
		render(StockTicker, { props: { baseUrl: TEST_BASE, symbols: ['AAPL'] } });
		await waitFor(() =>
			expect(screen.getByTestId('connection-status').textContent).toMatch(/reconnecting/)
		);
	});
});
