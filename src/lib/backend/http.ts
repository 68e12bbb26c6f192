import { DEFAULTS } from '$lib/shared/contract';
import { apiFailure, type ApiFailure, type Parsed } from '$lib/shared/errors';
import { concatBytes } from './fan-out';

/** A JSON response; every API answer carries `Vary: Origin` (added by the CORS layer). */
export function jsonResponse(
	body: unknown,
	status = 200,
	headers: Record<string, string> = {}
): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: {
			'content-type': 'application/json; charset=utf-8',
			'cache-control': 'no-store',
			...headers
		}
	});
}

/** The contract's JSON error response for a failure. */
export function errorResponse(failure: ApiFailure): Response {
	return jsonResponse(failure.body, failure.status, failure.headers);
}

/** `405` with the `Allow` header. */
export function methodNotAllowed(allow: readonly string[]): Response {
	return errorResponse(
		apiFailure(405, 'method_not_allowed', `method not allowed; allowed: ${allow.join(', ')}`, {
			allow: allow.join(', ')
		})
	);
}

/** The client's last seen id: the `Last-Event-ID` header, else the `lastEventId` query parameter. */
export function lastEventIdOf(request: Request, url: URL): string | null {
	return request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
}

/**
 * Reads an optional JSON body of at most 16 KiB without trusting `Content-Length`: the stream is
 * counted as it arrives, and past the cap the rest is read away (up to `discardBytes`) so the
 * client still gets its `413`. `undefined` means no body.
 */
export async function readJsonBody(
	request: Request,
	maxBytes: number = DEFAULTS.maxBodyBytes,
	discardBytes: number = 64 * maxBytes
): Promise<Parsed<unknown>> {
	const tooLarge = (headers?: Record<string, string>) =>
		apiFailure(413, 'body_too_large', `the body must be at most ${maxBytes} bytes`, headers);
	const declared = Number(request.headers.get('content-length') ?? '0');
	// Answered at once, unread: the connection cannot carry another request after it.
	if (declared > maxBytes) return tooLarge({ connection: 'close' });
	if (!request.body) {
		// SvelteKit drops a body sent without Content-Type; ignoring it would run a job the
		// client did not ask for, so say why instead.
		const sent = declared > 0 || request.headers.has('transfer-encoding');
		if (sent) return apiFailure(400, 'bad_body', 'a body must be sent with a Content-Type');
		return { ok: true, value: undefined };
	}
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		let next: ReadableStreamReadResult<Uint8Array>;
		try {
			next = await reader.read();
		} catch (error) {
			return unreadable(error, tooLarge);
		}
		const { done, value } = next;
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes + discardBytes) {
			// Cancelling SvelteKit's body stream destroys the socket: only for a body this large.
			await reader.cancel().catch(() => {});
			return tooLarge();
		}
		if (size <= maxBytes) chunks.push(value);
	}
	if (size > maxBytes) return tooLarge();
	const text = new TextDecoder().decode(concatBytes(chunks));
	if (text.trim() === '') return { ok: true, value: undefined };
	try {
		return { ok: true, value: JSON.parse(text) as unknown };
	} catch {
		return apiFailure(400, 'bad_json', 'the body is not valid JSON');
	}
}

/** The CORS headers of an answer to `origin`: `Vary: Origin` always, the rest for an allowed one. */
export function corsHeaders(
	origin: string | null,
	allowed: readonly string[]
): Record<string, string> {
	if (!origin || !allowed.includes(origin)) return { vary: 'Origin' };
	return {
		vary: 'Origin',
		'access-control-allow-origin': origin,
		'access-control-expose-headers': 'Retry-After, Allow'
	};
}

/**
 * The answer when reading a body fails. adapter-node errors the stream with a `413` of its own
 * once a body passes `BODY_SIZE_LIMIT` (whatever its framing), so that is our `413` too; anything
 * else (the client went away, or a chunk size that does not parse) leaves nobody to read an
 * answer and nothing worth a log line: a `400` that closes the connection, and no log, so no
 * client can fill the log (issue 14, defects 1 and 5).
 */
function unreadable(
	error: unknown,
	tooLarge: (headers?: Record<string, string>) => ApiFailure
): ApiFailure {
	const status = (error as { status?: unknown } | null)?.status;
	if (status === 413) return tooLarge({ connection: 'close' });
	return apiFailure(400, 'bad_body', 'the body could not be read', { connection: 'close' });
}

/**
 * CORS for one response: an allowed `Origin` is echoed; any other gets no CORS header.
 * Every API response varies by Origin, so caches never serve one origin's answer to another.
 */
export function applyCors(
	response: Response,
	origin: string | null,
	allowed: readonly string[]
): Response {
	const headers = new Headers(response.headers);
	for (const [name, value] of Object.entries(corsHeaders(origin, allowed))) {
		if (name === 'vary') headers.append(name, value);
		else headers.set(name, value);
	}
	return new Response(response.body, {
		status: response.status,
		statusText: response.statusText,
		headers
	});
}

/** The answer to a CORS preflight: `204` with the allowed methods for an allowed origin. */
export function preflight(
	origin: string | null,
	allowed: readonly string[],
	methods: readonly string[]
): Response {
	const headers: Record<string, string> = {
		allow: [...methods, 'OPTIONS'].join(', '),
		vary: 'Origin'
	};
	if (origin && allowed.includes(origin)) {
		headers['access-control-allow-origin'] = origin;
		headers['access-control-allow-methods'] = [...methods, 'OPTIONS'].join(', ');
		headers['access-control-allow-headers'] = 'Content-Type, Last-Event-ID';
		headers['access-control-max-age'] = '600';
	}
	return new Response(null, { status: 204, headers });
}
