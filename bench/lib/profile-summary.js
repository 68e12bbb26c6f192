/** Summarises V8 `.cpuprofile` files (from `node --cpu-prof`) into the functions with most self time. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{functionName: string, url: string, lineNumber: number}} callFrame
 */

/**
 * The `top` functions by self time across the given profiles, with their share of all samples.
 * Locations are shortened to the part after `build/`, `node_modules/` or `node:`.
 * @param {string[]} files
 * @param {number} [top] How many functions to keep (default 15).
 * @returns {{totalMs: number, functions: {name: string, where: string, selfMs: number, percent: number}[]}}
 */
export function summarizeProfiles(files, top = 15) {
	/** @type {Map<string, {name: string, where: string, selfMs: number}>} */
	const byFunction = new Map();
	let totalMs = 0;
	for (const file of files) {
		/** @type {{nodes: ProfileNode[], samples: number[], timeDeltas: number[]}} */
		const profile = JSON.parse(readFileSync(file, 'utf8'));
		/** @type {Map<number, ProfileNode>} */
		const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
		for (let i = 0; i < profile.samples.length; i++) {
			const node = nodes.get(profile.samples[i] ?? -1);
			const ms = (profile.timeDeltas[i] ?? 0) / 1000;
			if (!node || ms <= 0) continue;
			totalMs += ms;
			const frame = node.callFrame;
			const name = frame.functionName || '(anonymous)';
			const where = shorten(frame.url) + (frame.url ? `:${frame.lineNumber + 1}` : '');
			const key = `${name}@${where}`;
			const entry = byFunction.get(key) ?? { name, where, selfMs: 0 };
			entry.selfMs += ms;
			byFunction.set(key, entry);
		}
	}
	const functions = [...byFunction.values()]
		.sort((a, b) => b.selfMs - a.selfMs)
		.slice(0, top)
		.map((f) => ({
			...f,
			selfMs: Math.round(f.selfMs),
			percent: totalMs ? Math.round((f.selfMs / totalMs) * 1000) / 10 : 0
		}));
	return { totalMs: Math.round(totalMs), functions };
}

/** The readable tail of a script URL. */
function shorten(/** @type {string} */ url) {
	if (!url) return '';
	for (const marker of ['/build/', '/node_modules/']) {
		const i = url.lastIndexOf(marker);
		if (i >= 0) return url.slice(i + 1);
	}
	return url.replace(/^file:\/\//, '');
}

/** The thread of a profile from its name, `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile` (0 = main). */
function threadOf(/** @type {string} */ file) {
	return Number(path.basename(file).split('.')[4] ?? 0);
}

/**
 * Top self-time functions of (a)'s main thread per profiled kind of run, from the `.cpuprofile`
 * files that `--cpu-prof` wrote (they stay in bench/results/tmp/ for Chrome DevTools). Worker
 * threads (the system sampler) are summed apart, so their idle time does not dilute the shares.
 * @param {string} root the profile directory, one subdirectory per kind of run
 * @param {string} base paths in the result are relative to this
 */
export function summarizeProfileDirs(root, base) {
	if (!existsSync(root)) return null;
	/** @type {Record<string, any>} */
	const out = { dir: path.relative(base, root), runs: {} };
	for (const label of readdirSync(root)) {
		const files = readdirSync(path.join(root, label))
			.filter((f) => f.endsWith('.cpuprofile'))
			.map((f) => path.join(root, label, f));
		const main = files.filter((f) => threadOf(f) === 0);
		const workers = files.filter((f) => threadOf(f) !== 0);
		if (main.length === 0) continue;
		const summary = summarizeProfiles(main);
		const other = workers.length ? summarizeProfiles(workers, 4) : null;
		out.runs[label] = {
			files: files.length,
			...summary,
			workers: other && {
				threads: workers.length,
				totalMs: other.totalMs,
				busyMs: other.totalMs - (other.functions.find((f) => f.name === '(idle)')?.selfMs ?? 0),
				functions: other.functions.filter((f) => f.name !== '(idle)')
			}
		};
	}
	return out;
}
