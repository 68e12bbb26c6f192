// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { writable } from 'svelte/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from '$lib/client';
import ConnectionStatus from './ConnectionStatus.svelte';
import { connectionState } from './testing';

afterEach(() => cleanup());

function source(state: ConnectionState) {
	const store = writable(state);
	return Object.assign(store, { reconnect: vi.fn() });
}

describe('ConnectionStatus', () => {
	it('shows live without a button', () => {
		render(ConnectionStatus, { props: { source: source(connectionState()) } });
		expect(screen.getByTestId('connection-status').textContent).toContain('live');
		expect(screen.getByTestId('connection-status').dataset.status).toBe('open');
		expect(screen.queryByRole('button')).toBeNull();
	});

	it('shows connecting', () => {
		render(ConnectionStatus, {
			props: { source: source(connectionState({ status: 'connecting' })) }
		});
		expect(screen.getByTestId('connection-status').textContent).toContain('connecting');
	});

	it('counts down to the next try and reconnects on a click', async () => {
		// Fake clock: the countdown is read from Date.now(), so a slow render cannot change it.
		vi.useFakeTimers();
		try {
			vi.setSystemTime(Date.UTC(2026, 11, 2, 12, 0, 0));
			const src = source(
				connectionState({ status: 'reconnecting', attempt: 2, nextRetryAt: Date.now() + 2500 })
			);
			render(ConnectionStatus, { props: { source: src } });
			const status = screen.getByTestId('connection-status');
			expect(status.textContent).toContain('reconnecting in 3s (attempt 2)');
			await vi.advanceTimersByTimeAsync(1000);
			expect(status.textContent).toContain('reconnecting in 2s (attempt 2)');
			await fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
			expect(src.reconnect).toHaveBeenCalledOnce();
		} finally {
			vi.useRealTimers();
		}
	});

	it('shows offline with the reason when the store gave up', () => {
		const state = connectionState({
			status: 'closed',
			lastError: { message: 'HTTP 400', status: 400, fatal: true }
		});
		render(ConnectionStatus, { props: { source: source(state) } });
		expect(screen.getByTestId('connection-status').textContent).toContain('offline: HTTP 400');
		expect(screen.getByRole('button', { name: 'Reconnect' })).toBeTruthy();
	});

	it('hides itself while live in compact form, and never shows a button there', async () => {
		const src = source(connectionState());
		render(ConnectionStatus, { props: { source: src, compact: true } });
		expect(screen.queryByTestId('connection-status')).toBeNull();
		src.set(connectionState({ status: 'closed' }));
		expect(await screen.findByTestId('connection-status')).toBeTruthy();
		expect(screen.queryByRole('button')).toBeNull();
	});

	it('announces the state politely, not the countdown', async () => {
		const src = source(connectionState({ status: 'closed' }));
		const { container } = render(ConnectionStatus, { props: { source: src } });
		const region = container.querySelector('[aria-live="polite"]');
		await vi.waitFor(() => expect(region?.textContent).toBe('Offline'));
	});
});
