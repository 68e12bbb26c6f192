/**
 * glibc malloc settings that `npm start` runs the server with (package.json sets the same value,
 * and tests/integration/server/allocator.test.ts checks that the two agree).
 *
 * Node reads from a socket into 64 KiB buffers from malloc. By default glibc raises its mmap
 * threshold as such blocks are freed, after which they come from the main heap, and the heap keeps
 * what is freed in between: `npm run soak` measured RSS +15.5 MB over 100,000 connect/disconnect
 * cycles with V8's heap flat (+0.4 MB). At a fixed threshold of 64 KiB those buffers are mapped and
 * unmapped whole, and the same run grows RSS by 2.6 MB. A process started another way (systemd, a
 * container) should set the variable too; see docs/deploy.md.
 */

/** The allocator's environment for server/index.js. */
export const ALLOCATOR_ENV = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '65536' });

/** The allocator settings that `env` does not set itself (a value of the operator's wins). */
export function allocatorEnv(env = process.env) {
	return Object.fromEntries(
		Object.entries(ALLOCATOR_ENV).filter(([name]) => env[name] === undefined)
	);
}
