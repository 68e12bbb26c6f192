/** Whether this page runs on the mock backend, for the banner and the dev panel. */
import type { MockBackend } from './backend';
import type { ScenarioName } from './scenarios';

const state = $state<{ backend: MockBackend | null; scenario: ScenarioName | null }>({
	backend: null,
	scenario: null
});

/** Records the running mock backend (called once the service worker intercepts). */
export function setMockBackend(backend: MockBackend): void {
	state.backend = backend;
	state.scenario = backend.scenario;
	backend.onScenarioChange((name) => (state.scenario = name));
}

/** The mock backend of this page, or `null` when the page talks to a real server. */
export function mockBackend(): MockBackend | null {
	return state.backend;
}

/** The current scenario, or `null` when not mocked; reactive. */
export function mockScenario(): ScenarioName | null {
	return state.scenario;
}
