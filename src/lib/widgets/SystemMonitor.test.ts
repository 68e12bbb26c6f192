// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '$lib/mocks/node';
import type { SystemSample } from '$lib/shared/contract';
import SystemMonitor from './SystemMonitor.svelte';
import { TEST_BASE, feedStore, feedValue } from './testing';

let mock: MockServer;
beforeAll(() => (mock = createMockServer({ seed: 2 })));
afterEach(() => {
	cleanup();
	mock.server.resetHandlers();
	mock.setScenario('normal');
});
afterAll(() => mock.close());

const sample: SystemSample = {
	cpu_percent: 45.2,
	memory_percent: 41.16,
	memory_used_mb: 9876.54,
	memory_total_mb: 23995.1,
	cpu_cores: [10.1, 14.9],
	load_avg: [0.52, 0.61, 0.7],
	uptime_s: 86400,
	net_rx_bytes_per_s: 1024,
	net_tx_bytes_per_s: 2048,
	epoch_ms: 1795356202000
};

const nothing: SystemSample = {
	cpu_percent: null,
	memory_percent: null,
	memory_used_mb: null,
	memory_total_mb: null,
	cpu_cores: null,
	load_avg: null,
	uptime_s: null,
	net_rx_bytes_per_s: null,
	net_tx_bytes_per_s: null,
	epoch_ms: 1795356202000
};

describe('SystemMonitor', () => {
	it('shows placeholders while connecting', () => {
		render(SystemMonitor, { props: { baseUrl: TEST_BASE } });
		expect(screen.getByTestId('system').dataset.state).toBe('waiting');
		expect(screen.getByRole('progressbar', { name: 'CPU' }).hasAttribute('aria-valuenow')).toBe(
			false
		);
	});

	it('shows live samples from the feed', async () => {
		render(SystemMonitor, { props: { baseUrl: TEST_BASE } });
		await waitFor(() =>
			expect(
				screen.getByRole('progressbar', { name: 'CPU' }).getAttribute('aria-valuetext')
			).toMatch(/^\d+\.\d\d%$/)
		);
		expect(screen.getByTestId('memory-text').textContent).toMatch(
			/^\s*\d+\.\d\d \/ \d+\.\d\d MB\s*$/
		);
	});

	it('writes the values as the classic example does, with per-core bars and load', async () => {
		render(SystemMonitor, { props: { feed: feedStore(sample) } });
		await screen.findByText('45.20%');
		const cpu = screen.getByRole('progressbar', { name: 'CPU' });
		expect(cpu.getAttribute('aria-valuenow')).toBe('45.2');
		expect(cpu.getAttribute('aria-valuetext')).toBe('45.20%');
		expect(screen.getByText('45.20%')).toBeTruthy();
		expect(screen.getByTestId('memory-text').textContent?.trim()).toBe('9876.54 / 23995.10 MB');
		expect(screen.getByRole('progressbar', { name: 'Core 2' }).getAttribute('aria-valuenow')).toBe(
			'14.9'
		);
		expect(screen.getByTestId('load-avg').textContent).toBe('0.52  0.61  0.70');
		expect(screen.getByText('1.0 KB/s')).toBeTruthy();
		expect(screen.getByText('2.0 KB/s')).toBeTruthy();
		expect(screen.getByText('1d 00h 00m')).toBeTruthy();
	});

	it('says "not available" for every null value', async () => {
		render(SystemMonitor, { props: { feed: feedStore(nothing) } });
		await screen.findByTestId('load-avg');
		await waitFor(() => expect(screen.getByTestId('load-avg').textContent).toBe('not available'));
		expect(screen.getAllByText('not available').length).toBeGreaterThanOrEqual(7);
		expect(screen.getByRole('progressbar', { name: 'CPU' }).hasAttribute('aria-valuenow')).toBe(
			false
		);
	});

	it('keeps a history for the sparklines, one point per sample', async () => {
		const store = feedStore(sample);
		const { container } = render(SystemMonitor, { props: { feed: store, historyLength: 5 } });
		for (const cpu of [10, 20, 30]) store.set(feedValue({ ...sample, cpu_percent: cpu }));
		await waitFor(() =>
			expect(screen.getByRole('progressbar', { name: 'CPU' }).getAttribute('aria-valuenow')).toBe(
				'30'
			)
		);
		const line = container.querySelector('[aria-label="CPU, last 5 samples"] .line');
		expect(line?.getAttribute('d')?.match(/[ML]/g)).toHaveLength(4);
	});

	it('marks old figures stale', async () => {
		render(SystemMonitor, {
			props: { feed: feedStore(sample, Date.now() - 60_000), staleAfterMs: 1000 }
		});
		await waitFor(() => expect(screen.getByTestId('system-stale')).toBeTruthy());
		expect(screen.getByTestId('system').dataset.state).toBe('stale');
	});

	it('shows reconnecting while the server is down', async () => {
		mock.setScenario('down');
		render(SystemMonitor, { props: { baseUrl: TEST_BASE } });
		await waitFor(() =>
			expect(screen.getByTestId('connection-status').textContent).toMatch(/reconnecting/)
		);
	});
});
