// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '$lib/mocks/node';
import Clock from './Clock.svelte';
import { TEST_BASE, apiError, feedStore, silentAfter } from './testing';

let mock: MockServer;
beforeAll(() => (mock = createMockServer({ seed: 1 })));
afterEach(() => {
	cleanup();
	mock.server.resetHandlers();
	mock.setScenario('normal');
});
afterAll(() => mock.close());

const tick = { time: '14:03:22', iso: '2026-11-22T14:03:22.000Z', epoch_ms: 1795356202000 };

describe('Clock', () => {
	it('shows a placeholder while connecting', () => {
		render(Clock, { props: { baseUrl: TEST_BASE } });
		expect(screen.getByText("Waiting for the server's first tick…")).toBeTruthy();
		expect(screen.getByTestId('connection-status').textContent).toContain('connecting');
	});

	it("shows the server's time and keeps ticking", async () => {
		render(Clock, { props: { baseUrl: TEST_BASE } });
		const first = await waitFor(() => {
			const text = screen.getByTestId('clock-time').textContent ?? '';
			expect(text).toMatch(/^\d\d:\d\d:\d\d$/);
			return text;
		});
		await waitFor(() => expect(screen.getByTestId('clock-time').textContent).not.toBe(first), {
			timeout: 5000
		});
		expect(screen.queryByTestId('connection-status')).toBeNull();
	});

	it('renders a tick from a store it is given, with the date in UTC', () => {
		render(Clock, { props: { feed: feedStore(tick) } });
		expect(screen.getByTestId('clock-time').textContent).toBe('14:03:22');
		expect(screen.getByTestId('clock-time').getAttribute('datetime')).toBe(tick.iso);
		expect(screen.getByText('Sun, 22 Nov 2026')).toBeTruthy();
	});

	it('says when the time has gone stale', async () => {
		mock.server.use(
			http.get(`${TEST_BASE}/api/feeds/time`, () => silentAfter([{ id: 1, data: tick }]))
		);
		render(Clock, { props: { baseUrl: TEST_BASE, staleAfterMs: 100 } });
		await waitFor(() => expect(screen.getByTestId('clock-time').textContent).toBe('14:03:22'));
		await waitFor(() => expect(screen.getByTestId('clock-stale').hidden).toBe(false), {
			timeout: 5000
		});
		expect(screen.getByTestId('clock-stale').textContent).toMatch(/Stale: no tick for \d+ s/);
		expect(screen.getByTestId('clock').dataset.state).toBe('stale');
	});

	it('shows reconnecting while the server answers 503', async () => {
		mock.setScenario('down');
		render(Clock, { props: { baseUrl: TEST_BASE } });
		await waitFor(() =>
			expect(screen.getByTestId('connection-status').textContent).toMatch(
				/reconnecting in \d+s \(attempt \d+\)/
			)
		);
	});

	it('goes offline on a fatal answer', async () => {
		mock.server.use(
			http.get(`${TEST_BASE}/api/feeds/time`, () => apiError(404, 'not_found', 'no such feed'))
		);
		render(Clock, { props: { baseUrl: TEST_BASE } });
		await waitFor(() =>
			expect(screen.getByTestId('connection-status').textContent).toContain('offline: HTTP 404')
		);
	});
});
