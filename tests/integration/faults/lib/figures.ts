/**
 * Figures the fault suites measure (never assert): each suite merges its own into
 * tests/integration/faults/results/<suite>.json, which scripts/reliability-sockets.js turns into
 * RELIABILITY.md's sockets section.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

/** Merges `figures` under `key` into results/<suite>.json, with when and where they were taken. */
export function recordFigures(suite: string, key: string, figures: Record<string, unknown>): void {
	mkdirSync(RESULTS, { recursive: true });
	const file = `${RESULTS}${suite}.json`;
	const current = existsSync(file)
		? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
		: {};
	current[key] = {
		...figures,
		measured_at: new Date().toISOString(),
		host: { node: process.version, cpus: os.cpus().length }
	};
	writeFileSync(file, JSON.stringify(current, null, '\t') + '\n');
}
