/**
 * Request handlers for every route of the contract, on a given `Backend`. The server's
 * `+server.ts` files and the mock's MSW handlers both call these, so both answer the same way.
 */
import type { Health, TrainingCreated, TrainingJobList } from '$lib/shared/contract';
import { apiFailure, type ApiFailure } from '$lib/shared/errors';
import {
	JOB_ID_PATTERN,
	checkQuery,
	parseEventId,
	parseIntervalMs,
	parseSymbols,
	parseTopics,
	parseTrainingOptions
} from '$lib/shared/validate';
import { errorResponse, jsonResponse, lastEventIdOf, readJsonBody } from './http';
import type { Backend } from './backend';
import type { SseConnection } from './sse/connection';
import { SSE_HEADERS, streamResponse } from './sse/registry';

/** What the handlers need of a request; SvelteKit's `RequestEvent` fits. */
export interface FeedRequest {
	request: Request;
	url: URL;
	getClientAddress(): string;
}

/** A request for one training job's route. */
export type JobRequest = FeedRequest & { params: { id: string } };

/** A route's handler; `feeds` defaults to the backend the handlers were made for. */
export type Endpoint<E extends FeedRequest = FeedRequest> = (
	event: E,
	feeds?: Backend
) => Promise<Response>;

/**
 * Wraps a handler: any unexpected error becomes the contract's JSON `500`, never a stack trace.
 * `feeds` is the default backend when the caller passes none.
 */
export function endpoint<E extends FeedRequest>(
	handler: (event: E, feeds: Backend) => Response | Promise<Response>,
	feeds: () => Backend
): Endpoint<E> {
	return async (event, given = feeds()) => {
		try {
			return await handler(event, given);
		} catch (error) {
			console.error('[live-feeds] request failed:', error);
			return errorResponse(apiFailure(500, 'internal', 'internal server error'));
		}
	};
}

function query(event: FeedRequest, allowed: readonly string[]): ApiFailure | null {
	const checked = checkQuery(event.url.searchParams, allowed);
	return checked.ok ? null : checked;
}

/** Opens a stream for `feed` after the caps allow it; `attach` joins it to its source and returns the leave. */
export function openStream(
	event: FeedRequest,
	feeds: Backend,
	feed: string,
	attach: (connection: SseConnection, lastEventId: string | null) => () => void
): Response {
	// SvelteKit answers HEAD with the GET handler, and Node never flushes the headers of a body it
	// does not send: an endless stream would leave HEAD unanswered and a connection held open.
	if (event.request.method === 'HEAD') return new Response(null, { headers: SSE_HEADERS });
	const client = event.getClientAddress();
	const denied = feeds.streams.admit(client);
	if (denied) return errorResponse(denied);
	let leave: (() => void) | null = null;
	const connection = feeds.streams.open({
		feed,
		client,
		signal: event.request.signal,
		onClose: () => leave?.()
	});
	leave = attach(connection, lastEventIdOf(event.request, event.url));
	// The join itself may have ended the stream (a finished job, a client over its buffer).
	if (connection.closed) leave();
	return streamResponse(connection);
}

function findJob(feeds: Backend, id: string) {
	const job = JOB_ID_PATTERN.test(id) ? feeds.jobs.get(id) : undefined;
	return (
		job ??
		apiFailure(
			404,
			'not_found',
			`unknown training job ${JOB_ID_PATTERN.test(id) ? `'${id}'` : 'id'}`
		)
	);
}

/** The handler of every route of the contract, on the backend `backend()` returns. */
export function createEndpoints(backend: () => Backend) {
	return {
		/** `GET /api/feeds/time`. */
		timeStream: endpoint((event, feeds) => {
			const bad = query(event, ['lastEventId']);
			if (bad) return errorResponse(bad);
			return openStream(event, feeds, 'time', (connection, id) =>
				feeds.time.join(connection, { lastEventId: parseEventId(id) })
			);
		}, backend),

		/** `GET /api/feeds/system?interval_ms=`. */
		systemStream: endpoint((event, feeds) => {
			const bad = query(event, ['interval_ms', 'lastEventId']);
			if (bad) return errorResponse(bad);
			const interval = parseIntervalMs(event.url.searchParams.get('interval_ms'));
			if (!interval.ok) return errorResponse(interval);
			return openStream(event, feeds, 'system', (connection, id) =>
				feeds.system(interval.value).join(connection, { lastEventId: parseEventId(id) })
			);
		}, backend),

		/** `GET /api/feeds/stocks?symbols=`. */
		stocksStream: endpoint((event, feeds) => {
			const bad = query(event, ['symbols', 'lastEventId']);
			if (bad) return errorResponse(bad);
			const symbols = parseSymbols(event.url.searchParams.get('symbols'), feeds.walk.symbols);
			if (!symbols.ok) return errorResponse(symbols);
			const wanted = new Set(symbols.value);
			return openStream(event, feeds, 'stocks', (connection, id) =>
				feeds.stocks.join(connection, {
					lastEventId: parseEventId(id),
					filter: (message) => wanted.has(message.event)
				})
			);
		}, backend),

		/** `GET /api/feeds?topics=&symbols=&interval_ms=`: several feeds over one connection. */
		multiplexStream: endpoint((event, feeds) => {
			const bad = query(event, ['topics', 'symbols', 'interval_ms', 'lastEventId']);
			if (bad) return errorResponse(bad);
			const params = event.url.searchParams;
			const topics = parseTopics(params.get('topics'));
			if (!topics.ok) return errorResponse(topics);
			const symbols = parseSymbols(params.get('symbols'), feeds.walk.symbols);
			if (!symbols.ok) return errorResponse(symbols);
			const interval = parseIntervalMs(params.get('interval_ms'));
			if (!interval.ok) return errorResponse(interval);
			// The channel is made only for an admitted stream: a refused one would leave it behind.
			return openStream(event, feeds, 'multiplex', (connection, id) =>
				feeds.channel(topics.value, symbols.value, interval.value).join(connection, id)
			);
		}, backend),

		/** `POST /api/training`: starts a job. */
		createTraining: endpoint(async (event, feeds) => {
			const bad = query(event, []);
			if (bad) return errorResponse(bad);
			const body = await readJsonBody(event.request);
			if (!body.ok) return errorResponse(body);
			const options = parseTrainingOptions(body.value);
			if (!options.ok) return errorResponse(options);
			const job = feeds.jobs.create(options.value);
			if ('ok' in job) return errorResponse(job);
			const created: TrainingCreated = { id: job.id, events: job.info().events };
			return jsonResponse(created, 201, { location: created.events });
		}, backend),

		/** `GET /api/training`: every kept job. */
		listTraining: endpoint((event, feeds) => {
			const bad = query(event, []);
			if (bad) return errorResponse(bad);
			const list: TrainingJobList = { jobs: feeds.jobs.list().map((job) => job.info()) };
			return jsonResponse(list);
		}, backend),

		/** `GET /api/training/<id>/events`: the job's progress, resumable, `204` once seen to the end. */
		trainingEvents: endpoint((event: JobRequest, feeds) => {
			const bad = query(event, ['lastEventId']);
			if (bad) return errorResponse(bad);
			const job = findJob(feeds, event.params.id);
			if ('ok' in job) return errorResponse(job);
			const raw = lastEventIdOf(event.request, event.url);
			const lastEventId = parseEventId(raw);
			// 204 is how SSE tells a browser to stop reconnecting for good.
			if (job.isSeenToEnd(lastEventId)) return new Response(null, { status: 204 });
			const known = lastEventId !== null && lastEventId <= job.seq;
			return openStream(event, feeds, 'training', (connection) =>
				job.join(connection, lastEventId, known)
			);
		}, backend),

		/** `DELETE /api/training/<id>`: cancels a running job (`202`); a finished one is `409`. */
		cancelTraining: endpoint((event: JobRequest, feeds) => {
			const bad = query(event, []);
			if (bad) return errorResponse(bad);
			const job = findJob(feeds, event.params.id);
			if ('ok' in job) return errorResponse(job);
			if (!job.cancel()) {
				return errorResponse(
					apiFailure(409, 'already_finished', `training job '${job.id}' has already finished`)
				);
			}
			return jsonResponse(job.info(), 202);
		}, backend),

		/** `GET /api/health`. */
		health: endpoint((event, feeds) => {
			const bad = query(event, []);
			if (bad) return errorResponse(bad);
			if (feeds.streams.shuttingDown) {
				return errorResponse(
					apiFailure(503, 'shutting_down', 'the server is shutting down', { 'retry-after': '5' })
				);
			}
			const body: Health = {
				status: 'ok',
				uptime_s: Math.floor((feeds.clock.now() - feeds.startedAt) / 1000),
				connections: feeds.streams.size
			};
			return jsonResponse(body);
		}, backend),

		/** `GET /metrics`: the metrics sink's text; `404` when the sink keeps none. */
		metrics: endpoint(async (_event, feeds) => {
			const scraped = await feeds.metrics.scrape?.();
			if (!scraped) return errorResponse(apiFailure(404, 'not_found', 'no such API path'));
			return new Response(scraped.text, {
				headers: { 'content-type': scraped.contentType, 'cache-control': 'no-store' }
			});
		}, backend)
	};
}

/** Every route's handler, as `createEndpoints` makes them. */
export type Endpoints = ReturnType<typeof createEndpoints>;
