import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = import.meta.dirname;
// Any import (static or dynamic) of a Node-only module, or a read of the environment.
const NODE_ONLY =
	/['"](node:[^'"]*|prom-client|systeminformation|\$lib\/server[^'"]*)['"]|process\.env/;

function sources(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sources(path);
		return entry.name.endsWith('.ts') && !entry.name.includes('.test.') ? [path] : [];
	});
}

describe('src/lib/backend', () => {
	it('imports nothing Node-only, so the mock backend runs it in the browser', () => {
		const files = sources(ROOT);
		expect(files.length).toBeGreaterThan(10);
		const offending = files.filter((file) => NODE_ONLY.test(readFileSync(file, 'utf8')));
		expect(offending).toEqual([]);
	});
});
