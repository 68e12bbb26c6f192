/** The mock backend for Node (Vitest): `setupServer` around the handlers. */
import { setupServer, type SetupServer } from 'msw/node';
import { createMockHandlers, type MockOptions } from './index';
import type { MockBackend } from './backend';
import type { ScenarioName } from './scenarios';

/** Options of `createMockServer`: the mock's, plus what to do with requests no handler answers. */
export interface MockServerOptions extends MockOptions {
	/** Passed to `server.listen`. Default `'error'`, so a test cannot silently reach a network. */
	onUnhandledRequest?: 'bypass' | 'warn' | 'error';
}

/** A running mock server for tests. */
export interface MockServer {
	/** The MSW server; add per-test handlers with `server.use(...)`. */
	server: SetupServer;
	/** The simulation behind the handlers (scenario, feeds, jobs). */
	backend: MockBackend;
	/** Switches the scenario; open streams are closed and reconnect into it. */
	setScenario(name: ScenarioName): void;
	/** Stops intercepting, closes every stream and stops every timer. */
	close(): void;
}

/**
 * Starts intercepting `fetch` (and so `EventSource` from the `eventsource` package) in this
 * process. A global `EventSource` is not needed: the handlers do not use msw's `sse()`.
 * @example
 * const mock = createMockServer({ seed: 1 });
 * afterAll(() => mock.close());
 * const source = new EventSource('http://localhost/api/feeds/time');
 */
export function createMockServer(options: MockServerOptions = {}): MockServer {
	const { backend, handlers } = createMockHandlers(options);
	const server = setupServer(...handlers);
	server.listen({ onUnhandledRequest: options.onUnhandledRequest ?? 'error' });
	return {
		server,
		backend,
		setScenario: (name) => backend.setScenario(name),
		close() {
			backend.dispose();
			server.close();
		}
	};
}
