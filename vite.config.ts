import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	// Svelte's server build throws `lifecycle_function_unavailable` in component tests.
	resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
	server: { host: '127.0.0.1' },
	// Pre-bundled up front, so the first mock-mode page load does not reload once msw is found.
	optimizeDeps: { include: ['msw/browser'] },
	test: {
		include: [
			'src/**/*.test.ts',
			'tests/integration/**/*.test.ts',
			'tests/contract/**/*.test.ts',
			'tests/cluster/**/*.test.ts'
		],
		setupFiles: ['tests/setup/vitest.setup.ts'],
		environment: 'node',
		testTimeout: 20_000,
		hookTimeout: 60_000
	}
});
