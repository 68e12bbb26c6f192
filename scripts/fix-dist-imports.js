/**
 * Part of `npm run package`, after `svelte-package`: makes every relative import in dist/ fully
 * specified (`./feeds` becomes `./feeds.js`, `../client` becomes `../client/index.js`), as Node's
 * ESM loader requires. The sources use bundler-style paths (and `$lib/client`, which
 * svelte-package turns into a directory path), which only a bundler would resolve; without this,
 * `import('live-feeds/server')` fails in plain Node and in test runners that do not bundle.
 * Fails when a relative import points at nothing.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
// `from '…'`, `import '…'`, `import('…')`, and `import("…")` in .js, .d.ts and .svelte files.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

/**
 * The fully specified form of `specifier` as seen from `file`, or null if nothing matches.
 * @param {string} file
 * @param {string} specifier
 */
export function specify(file, specifier) {
	const target = path.resolve(path.dirname(file), specifier);
	if (existsSync(target) && statSync(target).isFile()) return specifier;
	if (existsSync(`${target}.js`) || existsSync(`${target}.d.ts`)) return `${specifier}.js`;
	if (existsSync(path.join(target, 'index.js'))) return `${specifier.replace(/\/$/, '')}/index.js`;
	return null;
}

/** @param {string} dir @returns {string[]} */
function files(dir) {
	return readdirSync(dir).flatMap((name) => {
		const full = path.join(dir, name);
		return statSync(full).isDirectory() ? files(full) : [full];
	});
}

const unresolved = [];
let changed = 0;
// Test files are not shipped (package.json `files`), and may import from outside dist/.
const shipped = files(DIST).filter((f) => /\.(js|d\.ts|svelte)$/.test(f) && !/\.test\./.test(f));
for (const file of shipped) {
	const source = readFileSync(file, 'utf8');
	const output = source.replace(SPECIFIER, (match, head, quote, specifier) => {
		const fixed = specify(file, specifier);
		if (fixed === null) {
			unresolved.push(`${path.relative(DIST, file)}: ${specifier}`);
			return match;
		}
		return `${head}${quote}${fixed}${quote}`;
	});
	if (output !== source) {
		writeFileSync(file, output);
		changed++;
	}
}
if (unresolved.length > 0) {
	console.error(`Relative imports in dist/ that point at nothing:\n  ${unresolved.join('\n  ')}`);
	process.exit(1);
}
console.log(`dist/: fully specified the relative imports of ${changed} files`);
