/**
 * Helpers for the server's integration tests: start the real built app (adapter-node's
 * `build/handler.js`) on an ephemeral port, read its streams with a real EventSource client,
 * and wait for conditions rather than for time.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EventSource, type FetchLike } from 'eventsource';
import { guardServer } from '../../../server/guard.js';
import type { DirectHandler } from '../../../src/lib/server/direct/serve';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD = `${ROOT}build/`;

/** Throws a clear message when the app has not been built. */
export function assertBuilt(): void {
	if (!existsSync(`${BUILD}handler.js`) || !existsSync(`${BUILD}index.js`)) {
		throw new Error(
			`The server tests run the built app, but ${BUILD}handler.js is missing: run \`npm run build\` first.`
		);
	}
}

function fingerprint(): string {
	const files = readdirSync(BUILD, { recursive: true, encoding: 'utf8' }).sort();
	return files.map((f) => `${f}:${statSync(`${BUILD}${f}`).mtimeMs}`).join('\n');
}

/**
 * A private copy of `build/` for this test file. The app loads its routes lazily, so a rebuild
 * running meanwhile (`npm run build` elsewhere in the tree) would swap the chunks under it.
 * The copy lives inside the project so the app still resolves its dependencies from
 * `node_modules`. Returns its directory (with a trailing slash) and how to remove it.
 */
export async function copyBuild(): Promise<{ dir: string; remove(): void }> {
	// adapter-node rewrites build/ at the end of a build: give one under way a moment.
	for (let waited = 0; waited < 10_000 && !existsSync(`${BUILD}handler.js`); waited += 500) {
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	assertBuilt();
	const dir = `${ROOT}node_modules/.cache/live-feeds-server-tests/${process.pid}-${Date.now()}/`;
	for (let attempt = 0; attempt < 10; attempt++) {
		try {
			const before = fingerprint();
			mkdirSync(dir, { recursive: true });
			cpSync(BUILD, dir, { recursive: true });
			if (fingerprint() === before) {
				return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
			}
		} catch {
			// Files vanished under the copy: a rebuild is under way.
		}
		rmSync(dir, { recursive: true, force: true });
		await new Promise((resolve) => setTimeout(resolve, 2000));
	}
	throw new Error('build/ kept changing while it was copied: is a build running in a loop?');
}

/** A running app. */
export interface App {
	/** `http://127.0.0.1:<port>` */
	base: string;
	close(): Promise<void>;
}

/** Which way the app serves its streams: `direct` as `npm start` does (server/index.js), or `endpoints` as plain `node build`. */
export type ServePath = 'direct' | 'endpoints';

/**
 * Sets `env` (the app reads its settings once, on first use: this must run before anything
 * else in the test file imports the app), imports the built handler and serves it on port 0,
 * behind the same Node-level guard as `npm start` (`server/guard.js`), with the streams on the
 * direct path as in production (`path` default `direct`).
 */
export async function startApp(
	env: Record<string, string> = {},
	path: ServePath = (process.env.LIVE_FEEDS_TEST_PATH as ServePath | undefined) ?? 'direct'
): Promise<App> {
	const build = await copyBuild();
	Object.assign(process.env, env);
	const { handler } = (await import(
		/* @vite-ignore */ pathToFileURL(`${build.dir}handler.js`).href
	)) as {
		handler: http.RequestListener;
	};
	const direct = (globalThis as { [key: symbol]: unknown })[
		Symbol.for('live-feeds.direct-handler')
	] as DirectHandler | undefined;
	if (path === 'direct' && !direct) throw new Error('the built app set up no direct path');
	const server = guardServer(
		http.createServer(
			path === 'direct' ? (req, res) => direct!(req, res, () => handler(req, res)) : handler
		)
	);
	const sockets = new Set<Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	return {
		base: `http://127.0.0.1:${port}`,
		async close() {
			const closed = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeAllConnections();
			for (const socket of sockets) socket.destroy();
			await closed;
			build.remove();
		}
	};
}

/** Reads a response body as text as it arrives; `ended` turns true once the server ends it. */
export function readAll(body: ReadableStream<Uint8Array>): { text: string; ended: boolean } {
	const state = { text: '', ended: false };
	void (async () => {
		const decoder = new TextDecoder();
		for await (const chunk of body) state.text += decoder.decode(chunk, { stream: true });
	})()
		.catch(() => {})
		.finally(() => (state.ended = true));
	return state;
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
	what: string,
	check: () => T | Promise<T>,
	timeoutMs = 15_000
): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value as NonNullable<T>;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** One event as an EventSource client saw it. */
export interface SeenEvent {
	type: string;
	data: string;
	lastEventId: string;
}

/** An EventSource that records the named events it is told to listen for. */
export interface Watcher {
	source: EventSource;
	events: SeenEvent[];
	errors: { code?: number }[];
	opened: number;
	/** Waits until `count` events (of `type`, if given) have arrived; returns exactly the first `count`. */
	until(count: number, type?: string, timeoutMs?: number): Promise<SeenEvent[]>;
	close(): void;
}

/** Options of `watch`. */
export interface WatchOptions {
	/** Event names to record besides `message`. */
	types?: string[];
	/** Sent as `Last-Event-ID` on the first request (an EventSource cannot set it itself). */
	lastEventId?: string;
}

/** Opens a real EventSource on `url` and records what it receives. */
export function watch(url: string, options: WatchOptions = {}): Watcher {
	let first = true;
	const fetchWithId: FetchLike = (input, init) => {
		const headers = { ...(init?.headers as Record<string, string>) };
		if (first && options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
		first = false;
		return fetch(input, { ...init, headers });
	};
	const source = new EventSource(url, { fetch: fetchWithId });
	const watcher: Watcher = {
		source,
		events: [],
		errors: [],
		opened: 0,
		async until(count, type, timeoutMs) {
			const matching = () => watcher.events.filter((e) => type === undefined || e.type === type);
			await waitFor(
				`${count} ${type ?? ''} events from ${url} (got ${matching().length})`,
				() => matching().length >= count,
				timeoutMs
			);
			// More may have arrived between two polls; callers assert on the first `count` only.
			return matching().slice(0, count);
		},
		close: () => source.close()
	};
	for (const type of ['message', ...(options.types ?? [])]) {
		source.addEventListener(type, (event: MessageEvent) => {
			watcher.events.push({ type, data: event.data as string, lastEventId: event.lastEventId });
		});
	}
	source.addEventListener('open', () => watcher.opened++);
	source.addEventListener('error', (event) =>
		watcher.errors.push({ code: (event as { code?: number }).code })
	);
	return watcher;
}

/** Reads `/metrics` into `name{labels}` → value. */
export async function readMetrics(base: string): Promise<Map<string, number>> {
	const text = await (await fetch(`${base}/metrics`)).text();
	const values = new Map<string, number>();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const at = line.lastIndexOf(' ');
		values.set(line.slice(0, at), Number(line.slice(at + 1)));
	}
	return values;
}

/** Sum of a metric over all its label sets. */
export function sumMetric(values: Map<string, number>, name: string): number {
	let sum = 0;
	for (const [key, value] of values) {
		if (key === name || key.startsWith(`${name}{`)) sum += value;
	}
	return sum;
}

/** The contract's error body: `{error: {code, message}}` and nothing else. */
export async function expectError(
	response: Response,
	status: number,
	code: string
): Promise<{ code: string; message: string }> {
	const body = (await response.json()) as { error: { code: string; message: string } };
	const problems: string[] = [];
	if (response.status !== status) problems.push(`status ${response.status}, want ${status}`);
	if (!response.headers.get('content-type')?.startsWith('application/json')) {
		problems.push(`content-type ${response.headers.get('content-type')}`);
	}
	if (Object.keys(body).join() !== 'error') problems.push(`keys ${Object.keys(body).join()}`);
	if (
		Object.keys(body.error ?? {})
			.sort()
			.join() !== 'code,message'
	) {
		problems.push(`error keys ${Object.keys(body.error ?? {}).join()}`);
	}
	if (body.error?.code !== code) problems.push(`code ${body.error?.code}, want ${code}`);
	if (typeof body.error?.message !== 'string' || body.error.message === '') {
		problems.push('no message');
	}
	if (problems.length > 0) throw new Error(`bad error answer: ${problems.join('; ')}`);
	return body.error;
}
