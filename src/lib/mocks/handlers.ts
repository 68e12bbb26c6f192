/**
 * The MSW handlers: every route of the contract, answered by the very endpoint functions the
 * server's `+server.ts` routes call, on the mock backend's `Backend`. Errors, CORS, `404` and
 * `405` come from the same `answerApi` as the server's `handle` hook.
 *
 * Why `http.*` with the endpoints' streaming `Response` and not msw's `sse()` (msw 2.15): `sse()`
 * has fixed headers and its own event encoding, matches only `Accept: text/event-stream`, and
 * always answers `200`, so it cannot speak the contract byte for byte.
 */
import { http, type HttpHandler } from 'msw';
import { PATHS } from '$lib/shared';
import { answerApi } from '$lib/backend/api';
import { createEndpoints, type Endpoint, type JobRequest } from '$lib/backend/endpoints';
import { errorResponse, methodNotAllowed } from '$lib/backend/http';
import type { MockBackend } from './backend';

/** Options of `createHandlers`. */
export interface HandlerOptions {
	/** Origin (and optional path prefix) the API lives at. Default `*`: any origin, so both relative
	 * same-origin requests in the browser and `http://localhost/…` in Node match. */
	baseUrl?: string;
}

type Methods = Partial<Record<'GET' | 'POST' | 'DELETE', Endpoint<JobRequest>>>;

const ID_LINE = /(?:^|\n)id: ([^\n]*)\n/g;

/** Builds every handler of the contract on `backend`. */
export function createHandlers(backend: MockBackend, options: HandlerOptions = {}): HttpHandler[] {
	const base = (options.baseUrl ?? '*').replace(/\/+$/, '');
	const api = createEndpoints(() => backend.feeds);
	const routes: [string, Methods][] = [
		[PATHS.time, { GET: api.timeStream }],
		[PATHS.system, { GET: api.systemStream }],
		[PATHS.stocks, { GET: api.stocksStream }],
		[PATHS.multiplex, { GET: api.multiplexStream }],
		[PATHS.health, { GET: api.health }],
		[PATHS.training, { GET: api.listTraining, POST: api.createTraining }],
		[`${PATHS.training}/:id`, { DELETE: api.cancelTraining }],
		[`${PATHS.training}/:id/events`, { GET: api.trainingEvents }]
	];

	const serve = (request: Request, methods: Methods | null, id: string) => {
		const url = new URL(request.url);
		const outage = backend.outage();
		const route = outage
			? () => errorResponse(outage)
			: methods &&
				(async () => {
					const handler =
						methods[(request.method === 'HEAD' ? 'GET' : request.method) as keyof Methods];
					if (!handler) return methodNotAllowed(Object.keys(methods));
					const event = {
						request: withResume(request, url),
						url,
						getClientAddress: () => 'mock',
						params: { id }
					};
					return trackResume(await handler(event), url);
				});
		return answerApi(request, url, backend.feeds.config.allowedOrigins, route);
	};

	/** Chromium hides a reconnect's Last-Event-ID from the worker: put back the one we remember. */
	const withResume = (request: Request, url: URL): Request => {
		if (!backend.inferReconnects || request.headers.has('last-event-id')) return request;
		if (url.searchParams.has('lastEventId')) return request;
		const id = backend.takeResume(url.pathname + url.search);
		if (id === null) return request;
		const headers = new Headers(request.headers);
		headers.set('last-event-id', id);
		return new Request(request, { headers });
	};

	/** Remembers the last id of a stream that the mock (not the client) ends, for `withResume`. */
	const trackResume = (response: Response, url: URL): Response => {
		const isStream = response.headers.get('content-type')?.startsWith('text/event-stream');
		if (!backend.inferReconnects || !isStream || !response.body) return response;
		const decoder = new TextDecoder();
		let last: string | null = null;
		const body = response.body.pipeThrough(
			new TransformStream<Uint8Array, Uint8Array>({
				transform(chunk, controller) {
					for (const match of decoder.decode(chunk, { stream: true }).matchAll(ID_LINE)) {
						last = match[1] ?? null;
					}
					controller.enqueue(chunk);
				},
				flush: () => backend.rememberResume(url.pathname + url.search, last)
			})
		);
		return new Response(body, response);
	};

	return [
		...routes.map(([path, methods]) =>
			http.all(`${base}${path}`, ({ request, params }) =>
				serve(request, methods, typeof params.id === 'string' ? params.id : '')
			)
		),
		http.all(`${base}/api/*`, ({ request }) => serve(request, null, ''))
	];
}
