/**
 * SIGTERM and SIGINT on the built server (`npm start`'s entry, its own process) with every kind
 * of stream open, a training job's included: each stream is told to come back later with a
 * jittered `retry:`, is ended, and the process exits 0. SIGINT (Ctrl-C) behaves as SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBuiltServer, type Started } from '../../support/processes';
import { STACK_LINE } from '../../support/raw-http';
import { waitFor } from './app';

/** Reads a response body as text as it arrives; `ended` once the server ends it. */
function readAll(body: ReadableStream<Uint8Array>) {
	const state = { text: '', ended: false };
	void (async () => {
		const decoder = new TextDecoder();
		for await (const chunk of body) state.text += decoder.decode(chunk, { stream: true });
	})()
		.catch(() => {})
		.finally(() => (state.ended = true));
	return state;
}

let server: Started | null = null;
afterEach(async () => {
	await server?.stop('SIGKILL');
	server = null;
});

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
	it('sends every stream, a training job stream included, a retry, ends it, and exits 0', async () => {
		server = await startBuiltServer();
		const base = server.url;
		// A job that runs far longer than this test: its stream is open when the signal comes.
		const created = await fetch(`${base}/api/training`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ total_epochs: 100, steps_per_epoch: 1000, step_ms: 50 })
		});
		expect(created.status).toBe(201);
		const { events } = (await created.json()) as { events: string };
		const paths = ['/api/feeds/time', '/api/feeds/stocks', '/api/feeds?topics=time', events];
		const streams = await Promise.all(
			paths.map(async (path) => {
				const response = await fetch(`${base}${path}`);
				expect(response.status).toBe(200);
				return readAll(response.body!);
			})
		);
		await waitFor('every stream to send its first event', () =>
			streams.every((s) => s.text.includes('data: '))
		);
		const exited = new Promise<number | null>((resolve) => server!.child.once('exit', resolve));

		server.child.kill(signal);
		await waitFor('every stream to end', () => streams.every((s) => s.ended));
		for (const [i, stream] of streams.entries()) {
			const last = stream.text.split('\n\n').filter(Boolean).at(-1);
			expect(last, paths[i]).toMatch(/^retry: \d+$/);
			const retry = Number(last!.slice('retry: '.length));
			// The default 2000 ms plus up to twice that in jitter.
			expect(retry).toBeGreaterThanOrEqual(2000);
			expect(retry).toBeLessThan(6000);
		}
		expect(await exited).toBe(0);
		expect(server.output()).not.toMatch(STACK_LINE);
	});
});
