/**
 * Event routing and parsing as pure functions: a raw `MessageEvent` becomes a typed value or a
 * parse error (never an exception), and URLs get the resume parameter.
 */
import type { FeedParseError, FeedValue } from './types';

/** What one received event turns into. */
export type RoutedEvent =
	| { ok: true; value: FeedValue<unknown>; terminal: boolean }
	| { ok: false; error: FeedParseError; terminal: boolean };

const RAW_LIMIT = 200;

/**
 * Parses one event's JSON payload. A malformed payload becomes a {@link FeedParseError};
 * `terminal` says whether the event is one of `closeOn`, which ends the stream either way.
 */
export function routeEvent(
	event: string,
	data: unknown,
	lastEventId: string,
	receivedAt: number,
	closeOn: readonly string[] = []
): RoutedEvent {
	const id = lastEventId === '' ? null : lastEventId;
	const terminal = closeOn.includes(event);
	const raw = typeof data === 'string' ? data : String(data);
	try {
		return { ok: true, terminal, value: { data: JSON.parse(raw) as unknown, id, receivedAt } };
	} catch (cause) {
		const message = cause instanceof Error ? cause.message : 'invalid JSON';
		return {
			ok: false,
			terminal,
			error: { event, message, raw: raw.slice(0, RAW_LIMIT), id, receivedAt }
		};
	}
}

/**
 * Sets (or replaces) the `lastEventId` query parameter, which the contract reads like the
 * `Last-Event-ID` header: a new `EventSource` cannot send headers. Works on relative URLs.
 */
export function withLastEventId(url: string, lastEventId: string | null): string {
	// Path, query and hash (with its `#`); the query is edited as text: re-serialising it would
	// encode the commas of `symbols=AAPL,MSFT`.
	const [, path = '', query = '', hash = ''] = /^([^?#]*)\??([^#]*)(.*)$/s.exec(url) ?? [];
	const params = query
		.split('&')
		.filter((part) => part !== '' && part.split('=')[0] !== 'lastEventId');
	if (lastEventId) params.push(`lastEventId=${encodeURIComponent(lastEventId)}`);
	return `${path}${params.length ? `?${params.join('&')}` : ''}${hash}`;
}

/** Joins a base URL ('' = same origin) and an API path without doubling the slash. */
export function joinUrl(baseUrl: string, path: string): string {
	return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
