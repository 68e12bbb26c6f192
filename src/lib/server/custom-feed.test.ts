import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfig } from './config';
import { createFeed, intervalProducer } from './custom-feed';
import { createServerBackend } from './backend';
import type { SystemSampler } from './system-sampler';
import { collect } from '$lib/backend/testing';

const sampler: SystemSampler = { latest: null, sample: () => Promise.reject(new Error('unused')) };

function setup(env: Record<string, string> = {}) {
	const feeds = createServerBackend({ config: readConfig(env), sampler });
	let count = 0;
	const feed = createFeed({
		name: 'visitors',
		backend: feeds,
		producer: intervalProducer({ intervalMs: 1000, next: (now) => ({ n: ++count, at: now }) })
	});
	return { feeds, feed };
}

function request(path: string, headers: Record<string, string> = {}) {
	const controller = new AbortController();
	const url = new URL(path, 'http://127.0.0.1');
	return {
		controller,
		event: {
			request: new Request(url, { headers, signal: controller.signal }),
			url,
			getClientAddress: () => '127.0.0.1'
		}
	};
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
	vi.useRealTimers();
});

describe('createFeed', () => {
	it('streams the producer with the contract preamble, ids and the SSE headers', async () => {
		const { feeds, feed } = setup();
		const { event, controller } = request('/api/feeds/visitors');
		const response = await feed.GET(event);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
		const body = collect(response.body!);
		expect(await body.take()).toBe(
			'retry: 2000\n: live-feeds\n\n' + `id: ${feeds.startedAt + 1}\ndata: {"n":1,"at":1000000}\n\n`
		);
		vi.advanceTimersByTime(1000);
		expect(await body.take()).toBe(`id: ${feeds.startedAt + 2}\ndata: {"n":2,"at":1001000}\n\n`);
		expect(feed.hub().running).toBe(true);
		controller.abort();
		await body.take();
		expect(feed.hub().running).toBe(false);
		expect(feeds.clock.active).toBe(0);
	});

	it('resumes from Last-Event-ID out of the replay buffer', async () => {
		const { feeds, feed } = setup();
		const first = request('/api/feeds/visitors');
		const firstBody = collect((await feed.GET(first.event)).body!);
		vi.advanceTimersByTime(2000);
		await firstBody.take();
		const resumed = request('/api/feeds/visitors', {
			'last-event-id': String(feeds.startedAt + 1)
		});
		const body = collect((await feed.GET(resumed.event)).body!);
		expect(await body.take()).toContain(
			`id: ${feeds.startedAt + 2}\ndata: {"n":2,"at":1001000}\n\n` +
				`id: ${feeds.startedAt + 3}\ndata: {"n":3,"at":1002000}\n\n`
		);
		first.controller.abort();
		resumed.controller.abort();
	});

	it('rejects unknown query parameters with a JSON 400 and answers allowed origins', async () => {
		const { feed } = setup({ ALLOWED_ORIGINS: 'http://app.test' });
		const { event } = request('/api/feeds/visitors?bogus=1', { origin: 'http://app.test' });
		const response = await feed.GET(event);
		expect(response.status).toBe(400);
		expect(response.headers.get('access-control-allow-origin')).toBe('http://app.test');
		expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
	});

	it('refuses a name that cannot be a metrics label', () => {
		expect(() =>
			createFeed({
				name: 'no spaces',
				producer: intervalProducer({ intervalMs: 1, next: () => 1 })
			})
		).toThrow(/feed name/);
	});
});
