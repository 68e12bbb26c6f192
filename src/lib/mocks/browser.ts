/** The mock backend in the browser: MSW's service worker, started before any stream opens. */
import { setupWorker } from 'msw/browser';
import { createMockHandlers, type MockOptions } from './index';
import type { MockBackend } from './backend';
import { setMockBackend } from './mode.svelte';

/** Options of `startMockWorker`. */
export interface MockWorkerOptions extends MockOptions {
	/** URL of the worker script. Default `/mockServiceWorker.js` (committed in `static/`). */
	workerUrl?: string;
}

/**
 * Registers the service worker and waits until it intercepts; resolves with the backend. Requests
 * no handler answers (the app's own files) go to the network as usual.
 */
export async function startMockWorker(options: MockWorkerOptions = {}): Promise<MockBackend> {
	const { backend, handlers } = createMockHandlers({ inferReconnects: true, ...options });
	const worker = setupWorker(...handlers);
	await worker.start({
		serviceWorker: { url: options.workerUrl ?? '/mockServiceWorker.js' },
		onUnhandledRequest: 'bypass',
		quiet: true
	});
	setMockBackend(backend);
	return backend;
}
