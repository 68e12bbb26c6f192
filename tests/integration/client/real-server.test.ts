/**
 * The stores against the real built server: a training job read through `trainingJob()` survives
 * a forced disconnect (every TCP connection cut by a proxy in the middle) and arrives whole, with
 * no gap and no duplicate.
 */
import net from 'node:net';
import { get } from 'svelte/store';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { startTraining, trainingJob } from '$lib/client';
import type { TrainingProgress } from '$lib/shared/contract';
import { startApp, waitFor, type App } from '../server/app';

let app: App;
let proxy: Awaited<ReturnType<typeof startProxy>>;

/**
 * A TCP proxy in front of the app; `cut()` destroys every connection through it. Until the
 * first cut it forwards from the app only up to the end of the `holdAfter`-th `progress` event
 * and holds back the rest, so the cut lands mid-job however fast the job runs.
 */
async function startProxy(target: URL, holdAfter: number) {
	const pairs = new Set<net.Socket>();
	let forwarded = 0;
	let cutOnce = false;
	const server = net.createServer((client) => {
		const upstream = net.connect(Number(target.port), target.hostname);
		for (const socket of [client, upstream]) {
			pairs.add(socket);
			socket.once('close', () => pairs.delete(socket));
			socket.on('error', () => {});
		}
		client.pipe(upstream);
		let pending = '';
		upstream.on('data', (chunk: Buffer) => {
			if (cutOnce) return void client.write(chunk);
			pending += chunk.toString('latin1');
			// Forward whole events only, counting progress events, until the hold is reached.
			for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
				if (forwarded >= holdAfter) return;
				const event = pending.slice(0, end + 2);
				if (event.includes('event: progress')) forwarded++;
				client.write(Buffer.from(event, 'latin1'));
				pending = pending.slice(end + 2);
			}
			if (!pending.includes('event: ') && forwarded < holdAfter) {
				// Headers and chunk framing without an event yet: nothing to hold back.
				client.write(Buffer.from(pending, 'latin1'));
				pending = '';
			}
		});
		upstream.on('end', () => cutOnce && client.end());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	return {
		base: `http://127.0.0.1:${port}`,
		cut() {
			cutOnce = true;
			const count = pairs.size;
			for (const socket of pairs) socket.destroy();
			return count;
		},
		async close() {
			for (const socket of pairs) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

beforeAll(async () => {
	// A short retry keeps the EventSource's own reconnect quick; nothing here measures time.
	app = await startApp({ SSE_RETRY_MS: '100' });
	proxy = await startProxy(new URL(app.base), 10);
});
afterAll(async () => {
	await proxy?.close();
	await app?.close();
});

it('resumes a training job across a forced disconnect with no gap and no duplicate', async () => {
	const options = { baseUrl: proxy.base, EventSource };
	const created = await startTraining({
		...options,
		total_epochs: 3,
		steps_per_epoch: 20,
		step_ms: 15
	});
	const job = trainingJob(created.id, options);
	const seen: { id: string | null; data: TrainingProgress }[] = [];
	const stopProgress = job.event('progress').subscribe((value) => {
		if (value) seen.push({ id: value.id, data: value.data });
	});
	let opens = 0;
	let status = '';
	const stopState = job.subscribe((state) => {
		if (state.status === 'open' && status !== 'open') opens++;
		status = state.status;
	});

	// The proxy holds back everything after the 10th event: the job cannot end before the cut.
	await waitFor('ten progress events', () => seen.length >= 10);
	expect(seen).toHaveLength(10);
	expect(get(job.event('complete'))).toBeFalsy();
	expect(proxy.cut()).toBeGreaterThan(0);
	await waitFor('the complete event', () => get(job.event('complete')), 30_000);
	// closeOn: the terminal event closes the source, so the browser does not restart the job.
	await waitFor('the source to close', () => status === 'closed');
	stopProgress();
	stopState();

	const ids = seen.map((event) => Number(event.id));
	expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
	expect(seen.at(-1)?.data).toMatchObject({ epoch: 3, step: 20, overall_percent: 100 });
	expect(opens).toBe(2);
});
