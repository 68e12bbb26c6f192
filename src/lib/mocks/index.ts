/**
 * The mock backend (`live-feeds/mocks`): MSW handlers that speak the wire contract byte for byte,
 * built on the same simulations as the server. Use `createMockHandlers` with your own
 * `setupServer`/`setupWorker`, or `createMockServer` from `./node` in tests.
 */
import type { HttpHandler } from 'msw';
import { MockBackend, type MockBackendOptions } from './backend';
import { createHandlers, type HandlerOptions } from './handlers';

export { MockBackend, type MockBackendOptions } from './backend';
export { createHandlers, type HandlerOptions } from './handlers';
export {
	SCENARIOS,
	SCENARIO_DESCRIPTIONS,
	DOWN_FOR_MS,
	parseScenario,
	scenarioTiming,
	type ScenarioName,
	type ScenarioTiming
} from './scenarios';
export { createSystemSim, type SystemSim, type SystemSimOptions } from './system-sim';

/** Options of `createMockHandlers`: the backend's and the handlers'. */
export type MockOptions = MockBackendOptions & HandlerOptions;

/** A backend and its handlers, ready for `setupServer(...handlers)` or `setupWorker(...handlers)`. */
export interface MockHandlers {
	backend: MockBackend;
	handlers: HttpHandler[];
}

/**
 * Creates a fresh mock backend and its MSW handlers.
 * @example
 * const { handlers, backend } = createMockHandlers({ seed: 42, scenario: 'burst' });
 * const server = setupServer(...handlers);
 */
export function createMockHandlers(options: MockOptions = {}): MockHandlers {
	const backend = new MockBackend(options);
	return { backend, handlers: createHandlers(backend, options) };
}
