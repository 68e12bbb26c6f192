/**
 * The MSW handlers: every route of the contract, answered from a `MockBackend`.
 *
 * Why `http.get` with a streaming `Response` and not msw's `sse()` (msw 2.15, read in
 * node_modules/msw/src/core/sse.ts): `sse()` cannot speak our contract byte for byte.
 * - Its headers are fixed: `text/event-stream` without `; charset=utf-8`, `no-cache` without
 *   `no-transform`, no `X-Accel-Buffering`, and there is no way to add `Vary: Origin`.
 * - It writes `id:1` / `event:x` / `data:…` without the space after the colon, `id` before
 *   `event`, and `retry:` as its own block; it cannot write a comment, so no preamble.
 * - It only matches requests whose `Accept` is exactly `text/event-stream` (plain `fetch`, `curl`
 *   and the contract suite would fall through), and it always answers `200`: a resolver cannot
 *   answer `204`, `400`, `404` or `503` instead.
 * So every stream here is encoded with the shared encoder (`$lib/shared/sse`), the same bytes the
 * server writes, and closing, `204` and the error answers are ordinary responses.
 */
import { http, HttpResponse, type HttpHandler } from 'msw';
import {
	DEFAULTS,
	JOB_ID_PATTERN,
	PATHS,
	apiFailure,
	checkQuery,
	describeValue,
	encodeEvent,
	parseEventId,
	parseIntervalMs,
	parseSymbols,
	parseTopics,
	parseTrainingOptions,
	trainingEventsPath,
	type ApiFailure,
	type Topic
} from '$lib/shared';
import type { MockBackend } from './backend';
import {
	feedSnapshot,
	serveFeed,
	serveMultiplex,
	type FeedSource,
	type TopicSource
} from './feed-streams';
import {
	corsHeaders,
	failureResponse,
	jsonResponse,
	streamResponse,
	type StreamSink
} from './respond';
import type { MockJob } from './training-jobs';

/** Options of `createHandlers`. */
export interface HandlerOptions {
	/** Origin (and optional path prefix) the API lives at. Default `*`: any origin, so both relative
	 * same-origin requests in the browser and `http://localhost/…` in Node match. */
	baseUrl?: string;
}

type Route = (
	request: Request,
	params: Record<string, string | readonly string[] | undefined>
) => Promise<Response> | Response;

const LAST_EVENT_ID = 'lastEventId';

/** Builds every handler of the contract on `backend`. */
export function createHandlers(backend: MockBackend, options: HandlerOptions = {}): HttpHandler[] {
	const base = (options.baseUrl ?? '*').replace(/\/+$/, '');
	const at = (path: string) => `${base}${path}`;
	const cors = (request: Request) => corsHeaders(request, backend.allowedOrigins);
	const fail = (request: Request, failure: ApiFailure) => failureResponse(failure, cors(request));
	/** The client's Last-Event-ID; the header wins, because a browser reconnect sends the newest one. */
	const lastEventIdOf = (request: Request, url: URL): string | null =>
		request.headers.get('last-event-id') ??
		url.searchParams.get(LAST_EVENT_ID) ??
		(backend.inferReconnects ? backend.takeResume(url.pathname + url.search) : null);

	/** Wraps a route: the `down` scenario's outage first, then the route. */
	const route =
		(handler: Route) =>
		({
			request,
			params
		}: {
			request: Request;
			params: Record<string, string | readonly string[] | undefined>;
		}) => {
			const down = backend.downRemainingMs();
			if (down > 0) {
				return fail(
					request,
					apiFailure(503, 'at_capacity', 'the server is at capacity; retry later', {
						'Retry-After': String(Math.ceil(down / 1000))
					})
				);
			}
			return handler(request, params);
		};

	const stream = (request: Request, open: (sink: StreamSink) => void) =>
		streamResponse(request, cors(request), {
			retryMs: backend.retryMs,
			heartbeatMs: backend.heartbeatMs,
			now: () => Date.now(),
			onServerClose: (id) => {
				const url = new URL(request.url);
				backend.rememberResume(url.pathname + url.search, id);
			},
			open(sink) {
				backend.track(sink);
				open(sink);
			}
		});

	const query = (request: Request, allowed: readonly string[]) => {
		const url = new URL(request.url);
		const checked = checkQuery(url.searchParams, allowed);
		return { url, failure: checked.ok ? null : checked };
	};

	const timeSource: FeedSource<unknown> = {
		feed: backend.time,
		snapshot: () => {
			const last = backend.time.latestOf(undefined);
			return last ? [{ event: undefined, data: last.data, id: last.id }] : [];
		}
	};
	const systemSource = (intervalMs: number): FeedSource<unknown> => {
		const feed = backend.system(intervalMs);
		return {
			feed,
			snapshot: () => {
				const last = feed.latestOf(undefined);
				return last ? [{ event: undefined, data: last.data, id: last.id }] : [];
			}
		};
	};
	const stocksSource = (symbols: readonly string[]): FeedSource<unknown> => ({
		feed: backend.stocks,
		snapshot: () =>
			feedSnapshot<unknown>(
				backend.stocks,
				backend.walk
					.snapshot(Date.now())
					.filter((q) => symbols.includes(q.symbol))
					.map((q) => ({ event: q.symbol, data: q }))
			),
		filter: (e) => e.event !== undefined && symbols.includes(e.event)
	});

	const findJob = (request: Request, raw: unknown): MockJob | Response => {
		const id = typeof raw === 'string' ? raw : '';
		const job = JOB_ID_PATTERN.test(id) ? backend.training.get(id) : undefined;
		return (
			job ??
			fail(request, apiFailure(404, 'not_found', `unknown training job ${describeValue(id)}`))
		);
	};

	const methodNotAllowed = (allow: string) =>
		route((request) =>
			fail(
				request,
				apiFailure(
					405,
					'method_not_allowed',
					`method ${describeValue(request.method)} is not allowed; use ${allow}`,
					{
						Allow: allow
					}
				)
			)
		);

	const preflight = (allow: string) =>
		route((request) => {
			const headers = cors(request);
			if (headers.has('Access-Control-Allow-Origin')) {
				headers.set('Access-Control-Allow-Methods', allow);
				headers.set('Access-Control-Allow-Headers', 'Content-Type, Last-Event-ID');
				headers.set('Access-Control-Max-Age', '600');
			}
			headers.set('Allow', allow);
			return new Response(null, { status: 204, headers });
		});

	return [
		http.get(
			at(PATHS.time),
			route((request) => {
				const { url, failure } = query(request, [LAST_EVENT_ID]);
				if (failure) return fail(request, failure);
				return stream(request, (sink) => serveFeed(sink, timeSource, lastEventIdOf(request, url)));
			})
		),
		http.get(
			at(PATHS.system),
			route((request) => {
				const { url, failure } = query(request, ['interval_ms', LAST_EVENT_ID]);
				if (failure) return fail(request, failure);
				const interval = parseIntervalMs(url.searchParams.get('interval_ms'));
				if (!interval.ok) return fail(request, interval);
				const source = systemSource(interval.value);
				return stream(request, (sink) => serveFeed(sink, source, lastEventIdOf(request, url)));
			})
		),
		http.get(
			at(PATHS.stocks),
			route((request) => {
				const { url, failure } = query(request, ['symbols', LAST_EVENT_ID]);
				if (failure) return fail(request, failure);
				const symbols = parseSymbols(url.searchParams.get('symbols'), backend.symbols);
				if (!symbols.ok) return fail(request, symbols);
				const source = stocksSource(symbols.value);
				return stream(request, (sink) => serveFeed(sink, source, lastEventIdOf(request, url)));
			})
		),
		http.get(
			at(PATHS.multiplex),
			route((request) => {
				const { url, failure } = query(request, [
					'topics',
					'symbols',
					'interval_ms',
					LAST_EVENT_ID
				]);
				if (failure) return fail(request, failure);
				const topics = parseTopics(url.searchParams.get('topics'));
				if (!topics.ok) return fail(request, topics);
				const symbols = parseSymbols(url.searchParams.get('symbols'), backend.symbols);
				if (!symbols.ok) return fail(request, symbols);
				const interval = parseIntervalMs(url.searchParams.get('interval_ms'));
				if (!interval.ok) return fail(request, interval);
				const byTopic: Record<Topic, () => FeedSource<unknown>> = {
					time: () => timeSource,
					system: () => systemSource(interval.value),
					stocks: () => stocksSource(symbols.value)
				};
				const sources: TopicSource[] = topics.value.map((topic) => ({
					topic,
					...byTopic[topic]()
				}));
				return stream(request, (sink) =>
					serveMultiplex(sink, sources, lastEventIdOf(request, url))
				);
			})
		),
		http.post(
			at(PATHS.training),
			route(async (request) => {
				const { failure } = query(request, []);
				if (failure) return fail(request, failure);
				const tooLarge = apiFailure(
					413,
					'body_too_large',
					`the body must be at most ${DEFAULTS.maxBodyBytes} bytes`
				);
				if (Number(request.headers.get('content-length') ?? 0) > DEFAULTS.maxBodyBytes) {
					return fail(request, tooLarge);
				}
				const text = await request.text();
				if (new TextEncoder().encode(text).byteLength > DEFAULTS.maxBodyBytes)
					return fail(request, tooLarge);
				let body: unknown = undefined;
				if (text.trim() !== '') {
					try {
						body = JSON.parse(text);
					} catch {
						return fail(request, apiFailure(400, 'bad_json', 'the body is not valid JSON'));
					}
				}
				const options = parseTrainingOptions(body);
				if (!options.ok) return fail(request, options);
				const job = backend.training.create(options.value);
				if ('ok' in job) return fail(request, job);
				return jsonResponse(201, { id: job.id, events: trainingEventsPath(job.id) }, cors(request));
			})
		),
		http.get(
			at(PATHS.training),
			route((request) => {
				const { failure } = query(request, []);
				if (failure) return fail(request, failure);
				return jsonResponse(200, { jobs: backend.training.list() }, cors(request));
			})
		),
		http.get(
			at(`${PATHS.training}/:id/events`),
			route((request, params) => {
				const { url, failure } = query(request, [LAST_EVENT_ID]);
				if (failure) return fail(request, failure);
				const job = findJob(request, params.id);
				if (job instanceof Response) return job;
				return trainingStream(request, job, lastEventIdOf(request, url));
			})
		),
		http.delete(
			at(`${PATHS.training}/:id`),
			route((request, params) => {
				const { failure } = query(request, []);
				if (failure) return fail(request, failure);
				const job = findJob(request, params.id);
				if (job instanceof Response) return job;
				if (!backend.training.cancel(job)) {
					return fail(
						request,
						apiFailure(
							409,
							'already_finished',
							`training job ${describeValue(job.id)} has already finished`
						)
					);
				}
				const info = backend.training.list().find((j) => j.id === job.id);
				return jsonResponse(202, info, cors(request));
			})
		),
		http.get(
			at(PATHS.health),
			route((request) => {
				const { failure } = query(request, []);
				if (failure) return fail(request, failure);
				return jsonResponse(
					200,
					{ status: 'ok', uptime_s: backend.uptimeS, connections: backend.connections },
					cors(request)
				);
			})
		),
		http.options(at(PATHS.training), preflight('GET, POST, OPTIONS')),
		http.options(at(`${PATHS.training}/:id`), preflight('DELETE, OPTIONS')),
		...[PATHS.time, PATHS.system, PATHS.stocks, PATHS.multiplex, PATHS.health].map((path) =>
			http.all(at(path), methodNotAllowed('GET'))
		),
		http.all(at(`${PATHS.training}/:id/events`), methodNotAllowed('GET')),
		http.all(at(`${PATHS.training}/:id`), methodNotAllowed('DELETE, OPTIONS')),
		http.all(at(PATHS.training), methodNotAllowed('GET, POST, OPTIONS')),
		http.all(
			at('/api/*'),
			route((request) => fail(request, apiFailure(404, 'not_found', 'no such API route')))
		)
	];

	function trainingStream(request: Request, job: MockJob, rawLastId: string | null): Response {
		const jobs = backend.training;
		const lastId = jobs.lastId(job);
		const id = parseEventId(rawLastId);
		// The job's last event was seen: 204 tells the browser to stop reconnecting.
		if (job.terminal && id === job.terminal.id)
			return new HttpResponse(null, { status: 204, headers: cors(request) });
		// No id: replay from the first event. An id we never sent: the current state at once.
		const from = rawLastId === null ? 0 : id === null || id > lastId ? Math.max(0, lastId - 1) : id;
		return stream(request, (sink) => {
			sink.write(
				jobs
					.eventsAfter(job, from)
					.map((e) => encodeEvent(e))
					.join('')
			);
			if (job.terminal) return sink.close();
			sink.onClose(
				jobs.subscribe(job, (event) => {
					sink.send(event);
					if (event.event !== 'progress') sink.close();
				})
			);
		});
	}
}
