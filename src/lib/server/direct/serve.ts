/**
 * The production server's direct path: every SSE GET of the contract (the feeds, the multiplexed
 * stream, a training job's events) is served from the backend straight onto Node's response,
 * skipping the web-stream layer that a SvelteKit endpoint's `Response` goes through. Anything it
 * does not open a stream for (another route, a bad parameter, a refused connection, `HEAD`) is left
 * to SvelteKit's handler, which answers it through the very same endpoints: one source of truth for
 * every error body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from '$lib/backend/backend';
import {
	openConnection,
	planStream,
	STREAM_ROUTES,
	type PlanResult,
	type StreamRoute
} from '$lib/backend/endpoints';
import { andThen } from '$lib/backend/maybe-promise';
import { corsHeaders } from '$lib/backend/http';
import { SSE_HEADERS } from '$lib/backend/sse/registry';
import { addressSettings, clientAddress, type AddressSettings } from './client-address';
import { NodeResponseSink, startEventStream } from './node-sink';

/**
 * Connect-style middleware: serves `req` if it is a stream it can open, else calls `next` (the
 * SvelteKit handler), at once or once a job on a shared store is looked up. It never calls `next`
 * after it has begun to answer, and it never throws or rejects.
 */
export type DirectHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const FIXED: Record<string, StreamRoute> = {
	'/api/feeds': STREAM_ROUTES.multiplex,
	'/api/feeds/time': STREAM_ROUTES.time,
	'/api/feeds/system': STREAM_ROUTES.system,
	'/api/feeds/stocks': STREAM_ROUTES.stocks
};
const JOB_EVENTS = /^\/api\/training\/([a-z0-9]{1,64})\/events$/;

function routeOf(pathname: string): { route: StreamRoute; params: Record<string, string> } | null {
	const fixed = FIXED[pathname];
	if (fixed) return { route: fixed, params: {} };
	const job = JOB_EVENTS.exec(pathname);
	return job ? { route: STREAM_ROUTES.trainingEvents, params: { id: job[1]! } } : null;
}

/** The direct path over `backend()`; `settings` default to adapter-node's variables. */
export function createDirectHandler(
	backend: () => Backend,
	settings: AddressSettings = addressSettings()
): DirectHandler {
	const serve = directServe(backend, settings);
	return (req, res, next) => {
		let handedOn = false;
		const handOn = () => {
			// Once only, and not to a client that left while its job was looked up.
			if (handedOn || res.headersSent || res.destroyed) return;
			handedOn = true;
			try {
				next();
			} catch (error) {
				console.error('[live-feeds] the next handler failed:', error);
				res.destroy();
			}
		};
		const failed = (error: unknown) => {
			console.error('[live-feeds] direct path failed:', error);
			if (res.headersSent) res.destroy();
			else handOn();
		};
		let served: boolean | Promise<boolean>;
		try {
			served = serve(req, res);
		} catch (error) {
			return failed(error);
		}
		if (served === false) return next();
		if (served !== true) served.then((done) => done || handOn(), failed);
	};
}

/** True when it opened the stream for `req`; false leaves it to SvelteKit. */
function directServe(
	backend: () => Backend,
	settings: AddressSettings
): (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> {
	return (req, res) => {
		if (req.method !== 'GET' || !req.url?.startsWith('/api/')) return false;
		let url: URL;
		try {
			url = new URL(req.url, 'http://direct');
		} catch {
			return false;
		}
		const found = routeOf(url.pathname);
		if (!found) return false;
		const current = backend();
		const header = req.headers['last-event-id'];
		const lastEventId =
			(typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId');
		const planned = planStream(
			found.route,
			{ query: url.searchParams, lastEventId, params: found.params },
			current
		);
		return andThen(planned, (plan: PlanResult) => {
			// The client left while its job was looked up: nothing is left to answer.
			if (res.destroyed) return true;
			if (plan === 'no-content' || 'ok' in plan) return false;
			const client = clientAddress(req, settings);
			if (client === null || current.streams.admit(client)) return false;
			const origin = req.headers.origin ?? null;
			startEventStream(res, {
				...SSE_HEADERS,
				...corsHeaders(origin, current.config.allowedOrigins)
			});
			const opened = openConnection(current, plan, {
				client,
				lastEventId,
				sink: new NodeResponseSink(res)
			});
			// Admitted a moment ago, in the same turn: a refusal here cannot happen, but never hang.
			if ('ok' in opened) res.end();
			return true;
		});
	};
}
