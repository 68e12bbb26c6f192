import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = import.meta.dirname;
/** Packages that only run on Node, besides Node's own modules. */
const NODE_ONLY_PACKAGES = ['prom-client', 'systeminformation'];
// Every module specifier: `from '…'`, `import '…'`, `import('…')`, `require('…')`, `export … from`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Whether `specifier` names a Node-only module: `node:*`, a bare builtin (`fs`, `fs/promises`), a Node-only package, or the server's code. */
function isNodeOnly(specifier: string): boolean {
	if (specifier.startsWith('node:') || specifier.startsWith('$lib/server')) return true;
	const name = specifier.split('/')[0]!;
	return builtinModules.includes(name) || NODE_ONLY_PACKAGES.includes(name);
}

/** The Node-only imports of a source text, and its reads of `process.env`. */
function nodeOnlyUses(source: string): string[] {
	const uses = [...source.matchAll(SPECIFIER)].map((m) => m[1]!).filter(isNodeOnly);
	return /process\.env/.test(source) ? [...uses, 'process.env'] : uses;
}

function sources(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sources(path);
		return entry.name.endsWith('.ts') && !entry.name.includes('.test.') ? [path] : [];
	});
}

describe('the Node-only import check', () => {
	it('catches node: and bare builtins, Node-only packages and server code, in every import form', () => {
		expect(nodeOnlyUses("import fs from 'fs';")).toEqual(['fs']);
		expect(nodeOnlyUses('import { randomUUID } from "crypto";')).toEqual(['crypto']);
		expect(nodeOnlyUses("import { readFile } from 'fs/promises';")).toEqual(['fs/promises']);
		expect(nodeOnlyUses("const os = await import('os');")).toEqual(['os']);
		expect(nodeOnlyUses("const { Buffer } = require('buffer');")).toEqual(['buffer']);
		expect(nodeOnlyUses("import 'node:worker_threads';")).toEqual(['node:worker_threads']);
		expect(nodeOnlyUses("export { x } from 'net';")).toEqual(['net']);
		expect(nodeOnlyUses("import type { Registry } from 'prom-client';")).toEqual(['prom-client']);
		expect(nodeOnlyUses("import { x } from '$lib/server/config';")).toEqual(['$lib/server/config']);
		expect(nodeOnlyUses('const port = process.env.PORT;')).toEqual(['process.env']);
	});

	it('lets through relative, $lib and browser-safe package imports', () => {
		const safe = [
			"import { a } from './fs';",
			"import { hub } from '../hub';",
			"import { timeTick } from '$lib/shared/time';",
			"import { writable } from 'svelte/store';",
			"import { http } from 'msw';",
			'// a comment that mentions crypto and fs'
		].join('\n');
		expect(nodeOnlyUses(safe)).toEqual([]);
	});
});

describe('src/lib/backend', () => {
	it('imports nothing Node-only, so the mock backend runs it in the browser', () => {
		const files = sources(ROOT);
		expect(files.length).toBeGreaterThan(10);
		const offending = files
			.map((file) => ({
				file: file.slice(ROOT.length + 1),
				uses: nodeOnlyUses(readFileSync(file, 'utf8'))
			}))
			.filter(({ uses }) => uses.length > 0);
		expect(offending).toEqual([]);
	});
});
