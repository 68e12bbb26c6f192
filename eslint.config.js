import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import { builtinModules } from 'node:module';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

// The layers: shared/ runs everywhere; backend/ is the runtime-agnostic core (the server and the
// mock in the browser run it); server/ is Node-only; client/ and widgets/ run in the browser.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const noNode = { paths: nodeBuiltins.map((name) => ({ name, message: 'Node-only module.' })) };
const layer = (patterns) => [
	'error',
	{ ...noNode, patterns: [{ group: patterns, message: 'Not allowed from this layer.' }] }
];

export default ts.config(
	{
		ignores: [
			'build/',
			'build-demo/',
			'dist/',
			'.svelte-kit/',
			'static/mockServiceWorker.js',
			'test-results/',
			'playwright-report/',
			'examples/*/node_modules/',
			'examples/*/build/',
			'examples/*/.svelte-kit/'
		]
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'no-undef': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
			]
		}
	},
	{
		files: ['src/lib/shared/**'],
		ignores: ['**/*.test.ts'],
		rules: {
			'no-restricted-imports': layer([
				'$lib/server',
				'$lib/server/**',
				'$lib/backend',
				'$lib/backend/**',
				'$lib/client/**',
				'$lib/widgets/**',
				'$lib/mocks/**',
				'../**'
			])
		}
	},
	{
		files: ['src/lib/client/**', 'src/lib/widgets/**'],
		ignores: ['**/*.test.ts', '**/testing/**', '**/testing.ts'],
		rules: {
			'no-restricted-imports': layer([
				'$lib/server',
				'$lib/server/**',
				'$lib/backend',
				'$lib/backend/**',
				'$lib/mocks/**',
				'../server/**',
				'../backend/**'
			])
		}
	},
	{
		files: ['src/lib/backend/**'],
		ignores: ['**/*.test.ts'],
		rules: {
			'no-restricted-imports': layer(['$lib/server', '$lib/server/**', '../server/**'])
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
