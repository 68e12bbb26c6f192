/** Placeholder replaced below. */
export async function runClientBench(/** @type {{url: string, durationMs: number}} */ _o) {
	return { skipped: 'not implemented yet' };
}
