/**
 * Request handlers for every route of the contract, on a given `Backend`. The server's
 * `+server.ts` files and the mock's MSW handlers both call these, so both answer the same way.
 * The streams are described once, as `StreamRoute`s (parse and validate the request, say how a
 * connection joins its source), and opened either as a web `Response` (here) or straight onto a
 * Node response by the production server (server/direct).
 */
import type { Health, Topic, TrainingCreated, TrainingJobList } from '$lib/shared/contract';
import { apiFailure, type ApiFailure, type Parsed } from '$lib/shared/errors';
import {
	JOB_ID_PATTERN,
	checkQuery,
	parseEventId,
	parseHistory,
	parseIntervalMs,
	parseSymbols,
	parseTopics,
	parseTrainingOptions
} from '$lib/shared/validate';
import type { Backend } from './backend';
import { errorResponse, jsonResponse, lastEventIdOf, readJsonBody } from './http';
import { healthBus } from './bus';
import type { SseConnection, StreamSink } from './sse/connection';
import { SSE_HEADERS, streamResponse } from './sse/registry';
import { andThen, type MaybePromise } from './maybe-promise';
import type { JobEvents } from './training/jobs';

/** What the handlers need of a request; SvelteKit's `RequestEvent` fits. */
export interface FeedRequest {
	request: Request;
	url: URL;
	getClientAddress(): string;
}

/** A request for one training job's route. */
export type JobRequest = FeedRequest & { params: { id: string } };

/** A route's handler; `backend` defaults to the backend the handlers were made for. */
export type Endpoint<E extends FeedRequest = FeedRequest> = (
	event: E,
	backend?: Backend
) => Promise<Response>;

/**
 * Wraps a handler: any unexpected error becomes the contract's JSON `500`, never a stack trace.
 * `backend` is the default backend when the caller passes none.
 */
export function endpoint<E extends FeedRequest>(
	handler: (event: E, backend: Backend) => Response | Promise<Response>,
	backend: () => Backend
): Endpoint<E> {
	return async (event, given = backend()) => {
		try {
			return await handler(event, given);
		} catch (error) {
			console.error('[live-feeds] request failed:', error);
			return errorResponse(apiFailure(500, 'internal', 'internal server error'));
		}
	};
}

/** A stream ready to open: the feed it counts under, and how a connection joins its source. */
export interface StreamPlan {
	/** The feed's label in `/metrics` and `/api/health`. */
	feed: string;
	/** Joins an opened connection to its source; returns the leave. */
	attach(connection: SseConnection, lastEventId: string | null): () => void;
}

/** What a stream request asks for: its query, its `Last-Event-ID`, and the route's `params`. */
export interface StreamQuery {
	query: URLSearchParams;
	lastEventId: string | null;
	params: Record<string, string>;
}

/**
 * One SSE route: the query parameters it allows, and how it turns a valid request into a plan.
 * `'no-content'` answers `204` (a job seen to its end: the browser stops reconnecting).
 */
export interface StreamRoute {
	allowed: readonly string[];
	plan(request: StreamQuery, backend: Backend): MaybePromise<PlanResult>;
}

/** A route's answer to a request: the stream to open, the contract's error, or `204`. */
export type PlanResult = StreamPlan | ApiFailure | 'no-content';

/** Runs `parse` on the query after checking it names only `route.allowed` parameters. */
export function planStream(
	route: StreamRoute,
	request: StreamQuery,
	backend: Backend
): MaybePromise<PlanResult> {
	const checked = checkQuery(request.query, route.allowed);
	if (!checked.ok) return checked;
	return route.plan(request, backend);
}

/** The first failure among parsed values, else their values. */
function all<T extends unknown[]>(
	...parsed: { [K in keyof T]: Parsed<T[K]> }
): { ok: true; values: T } | ApiFailure {
	for (const p of parsed) if (!p.ok) return p as ApiFailure;
	return { ok: true, values: parsed.map((p) => (p as { value: unknown }).value) as T };
}

const UNKNOWN_JOB = apiFailure(404, 'not_found', 'unknown training job id');

/** The job with this id (at once from a store in this process), or the contract's `404`. */
function findJob(backend: Backend, id: string): MaybePromise<JobEvents | ApiFailure> {
	// A job id is 8-32 characters: the contract quotes only values of up to 16, so none is echoed.
	if (!JOB_ID_PATTERN.test(id)) return UNKNOWN_JOB;
	return andThen(backend.jobs.get(id), (job) => job ?? UNKNOWN_JOB);
}

/** Every SSE route of the contract. */
export const STREAM_ROUTES = {
	/** `GET /api/feeds/time?history=`. */
	time: {
		allowed: ['lastEventId', 'history'],
		plan({ query }, backend) {
			const history = parseHistory(query.get('history'));
			if (!history.ok) return history;
			return {
				feed: 'time',
				attach: (connection, id) =>
					backend.time.join(connection, { lastEventId: parseEventId(id), history: history.value })
			};
		}
	},
	/** `GET /api/feeds/system?interval_ms=&history=`. */
	system: {
		allowed: ['interval_ms', 'lastEventId', 'history'],
		plan({ query }, backend) {
			const parsed = all<[number, number]>(
				parseIntervalMs(query.get('interval_ms')),
				parseHistory(query.get('history'))
			);
			if (!parsed.ok) return parsed;
			const [interval, history] = parsed.values;
			return {
				feed: 'system',
				attach: (connection, id) =>
					backend.system(interval).join(connection, { lastEventId: parseEventId(id), history })
			};
		}
	},
	/** `GET /api/feeds/stocks?symbols=&history=`. */
	stocks: {
		allowed: ['symbols', 'lastEventId', 'history'],
		plan({ query }, backend) {
			const parsed = all<[string[], number]>(
				parseSymbols(query.get('symbols'), backend.walk.symbols),
				parseHistory(query.get('history'))
			);
			if (!parsed.ok) return parsed;
			const [symbols, history] = parsed.values;
			const wanted = new Set(symbols);
			return {
				feed: 'stocks',
				attach: (connection, id) =>
					backend.stocks.join(connection, {
						lastEventId: parseEventId(id),
						filter: (message) => wanted.has(message.event),
						filterKey: [...wanted].sort().join(','),
						history
					})
			};
		}
	},
	/** `GET /api/feeds?topics=&symbols=&interval_ms=&history=`: several feeds over one connection. */
	multiplex: {
		allowed: ['topics', 'symbols', 'interval_ms', 'lastEventId', 'history'],
		plan({ query }, backend) {
			const parsed = all<[Topic[], string[], number, number]>(
				parseTopics(query.get('topics')),
				parseSymbols(query.get('symbols'), backend.walk.symbols),
				parseIntervalMs(query.get('interval_ms')),
				parseHistory(query.get('history'))
			);
			if (!parsed.ok) return parsed;
			const [topics, symbols, interval, history] = parsed.values;
			return {
				feed: 'multiplex',
				// The channel is made only for an admitted stream: a refused one would leave it behind.
				attach: (connection, id) =>
					backend.channel(topics, symbols, interval).join(connection, id, history)
			};
		}
	},
	/** `GET /api/training/<id>/events`: the job's progress, resumable, `204` once seen to the end. */
	trainingEvents: {
		allowed: ['lastEventId'],
		plan({ params, lastEventId: raw }, backend) {
			const lastEventId = parseEventId(raw);
			return andThen(findJob(backend, params.id ?? ''), (job): PlanResult => {
				if ('ok' in job) return job;
				if (job.isSeenToEnd(lastEventId)) return 'no-content';
				return { feed: 'training', attach: (connection) => job.join(connection, lastEventId) };
			});
		}
	}
} satisfies Record<string, StreamRoute>;

/**
 * Opens an admitted stream on `backend` for `client`, over `sink` (a web stream when absent),
 * and joins it to its source; null with the failure when the caps refuse it.
 */
export function openConnection(
	backend: Backend,
	plan: StreamPlan,
	options: {
		client: string;
		lastEventId: string | null;
		sink?: StreamSink;
		signal?: AbortSignal;
	}
): SseConnection | ApiFailure {
	const denied = backend.streams.admit(options.client);
	if (denied) return denied;
	let leave: (() => void) | null = null;
	const connection = backend.streams.open({
		feed: plan.feed,
		client: options.client,
		sink: options.sink,
		signal: options.signal,
		onClose: () => leave?.()
	});
	leave = plan.attach(connection, options.lastEventId);
	// The join itself may have ended the stream (a finished job, a client over its buffer).
	if (connection.closed) leave();
	return connection;
}

/** Answers a stream route with a web `Response`: the stream, or the contract's error. */
export function streamEndpoint(
	route: StreamRoute,
	event: FeedRequest,
	backend: Backend
): MaybePromise<Response> {
	const lastEventId = lastEventIdOf(event.request, event.url);
	const params = (event as Partial<JobRequest>).params ?? {};
	const planned = planStream(
		route,
		{ query: event.url.searchParams, lastEventId, params },
		backend
	);
	return andThen(planned, (plan) => {
		if (plan === 'no-content') return new Response(null, { status: 204 });
		if ('ok' in plan) return errorResponse(plan);
		// SvelteKit answers HEAD with the GET handler, and Node never flushes the headers of a body
		// it does not send: an endless stream would leave HEAD unanswered and a connection held open.
		if (event.request.method === 'HEAD') return new Response(null, { headers: SSE_HEADERS });
		const connection = openConnection(backend, plan, {
			client: event.getClientAddress(),
			lastEventId,
			signal: event.request.signal
		});
		if ('ok' in connection) return errorResponse(connection);
		return streamResponse(connection);
	});
}

function noQuery(event: FeedRequest): ApiFailure | null {
	const checked = checkQuery(event.url.searchParams, []);
	return checked.ok ? null : checked;
}

/** The handler of every route of the contract, on the backend `backend()` returns. */
export function createEndpoints(backend: () => Backend) {
	const stream = (route: StreamRoute) =>
		endpoint((event: FeedRequest, given) => streamEndpoint(route, event, given), backend);
	return {
		/** `GET /api/feeds/time`. */
		timeStream: stream(STREAM_ROUTES.time),
		/** `GET /api/feeds/system?interval_ms=`. */
		systemStream: stream(STREAM_ROUTES.system),
		/** `GET /api/feeds/stocks?symbols=`. */
		stocksStream: stream(STREAM_ROUTES.stocks),
		/** `GET /api/feeds?topics=&symbols=&interval_ms=`: several feeds over one connection. */
		multiplexStream: stream(STREAM_ROUTES.multiplex),
		/** `GET /api/training/<id>/events`: the job's progress, resumable, `204` once seen to the end. */
		trainingEvents: endpoint(
			(event: JobRequest, given) => streamEndpoint(STREAM_ROUTES.trainingEvents, event, given),
			backend
		),

		/** `POST /api/training`: starts a job. */
		createTraining: endpoint(async (event, given) => {
			const bad = noQuery(event);
			if (bad) return errorResponse(bad);
			const body = await readJsonBody(event.request);
			if (!body.ok) return errorResponse(body);
			const options = parseTrainingOptions(body.value);
			if (!options.ok) return errorResponse(options);
			const job = await given.jobs.create(options.value);
			if ('ok' in job) return errorResponse(job);
			const created: TrainingCreated = { id: job.id, events: job.info().events };
			return jsonResponse(created, 201, { location: created.events });
		}, backend),

		/** `GET /api/training`: every kept job. */
		listTraining: endpoint(async (event, given) => {
			const bad = noQuery(event);
			if (bad) return errorResponse(bad);
			const jobs = await given.jobs.list();
			if ('ok' in jobs) return errorResponse(jobs);
			const list: TrainingJobList = { jobs };
			return jsonResponse(list);
		}, backend),

		/** `DELETE /api/training/<id>`: cancels a running job (`202`); a finished one is `409`. */
		cancelTraining: endpoint(async (event: JobRequest, given) => {
			const bad = noQuery(event);
			if (bad) return errorResponse(bad);
			const id = event.params.id;
			const cancelled = JOB_ID_PATTERN.test(id) ? await given.jobs.cancel(id) : undefined;
			if (cancelled === undefined) return errorResponse(UNKNOWN_JOB);
			if (typeof cancelled === 'object' && 'ok' in cancelled) return errorResponse(cancelled);
			if (cancelled === 'finished') {
				return errorResponse(
					apiFailure(409, 'already_finished', 'the training job has already finished')
				);
			}
			return jsonResponse(cancelled, 202);
		}, backend),

		/** `GET /api/health`. */
		health: endpoint((event, given) => {
			const bad = noQuery(event);
			if (bad) return errorResponse(bad);
			if (given.streams.shuttingDown) {
				return errorResponse(
					apiFailure(503, 'shutting_down', 'the server is shutting down', { 'retry-after': '5' })
				);
			}
			const body: Health = {
				status: 'ok',
				uptime_s: Math.floor((given.clock.now() - given.startedAt) / 1000),
				connections: given.streams.size,
				bus: healthBus(given.bus.status())
			};
			return jsonResponse(body);
		}, backend),

		/** `GET /metrics`: the metrics sink's text; `404` when the sink keeps none. */
		metrics: endpoint(async (_event, given) => {
			const scraped = await given.metrics.scrape?.();
			if (!scraped) return errorResponse(apiFailure(404, 'not_found', 'no such API path'));
			return new Response(scraped.text, {
				headers: { 'content-type': scraped.contentType, 'cache-control': 'no-store' }
			});
		}, backend)
	};
}

/** Every route's handler, as `createEndpoints` makes them. */
export type Endpoints = ReturnType<typeof createEndpoints>;
