/**
 * Server-Sent Events encoding: one pure module shared by the server and the mocks.
 * Framing follows the HTML spec's `text/event-stream`: fields end with LF, an event ends with
 * a blank line. Nothing a caller passes can add a field or end an event early.
 */

/** One event to encode. `data` is a string as is; anything else is sent as JSON. */
export interface SseMessage {
	/** The event name; omitted (or `message`) for the unnamed event. */
	event?: string;
	/** Sets the client's `Last-Event-ID`. */
	id?: string | number;
	/** The payload. Strings go out as they are (split per line), other values as JSON. */
	data?: unknown;
	/** Reconnection delay the client should use, in ms. */
	retry?: number;
}

/** Thrown when an event name, id or retry could break the stream's framing. */
export class SseEncodeError extends Error {
	override name = 'SseEncodeError';
}

// C0 controls and DEL: a CR or LF would start a new field; NUL makes browsers ignore an id.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LINE_BREAK = /\r\n|\r|\n/;

function field(name: string, value: string): string {
	if (CONTROL.test(value)) {
		throw new SseEncodeError(`SSE ${name} must not contain control characters`);
	}
	return `${name}: ${value}\n`;
}

/** Encodes one event as `text/event-stream` text, ending with the blank line that dispatches it. */
export function encodeEvent(message: SseMessage): string {
	let out = '';
	if (message.retry !== undefined) {
		// A safe integer: from 1e21 on, String() writes an exponent, and a client ignores the field.
		if (!Number.isSafeInteger(message.retry) || message.retry < 0) {
			throw new SseEncodeError('SSE retry must be a non-negative safe integer');
		}
		out += `retry: ${message.retry}\n`;
	}
	if (message.event !== undefined && message.event !== 'message') {
		if (message.event === '') throw new SseEncodeError('SSE event name must not be empty');
		out += field('event', message.event);
	}
	if (message.id !== undefined) out += field('id', String(message.id));
	if (message.data !== undefined) {
		const text = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
		for (const line of text.split(LINE_BREAK)) out += `data: ${line}\n`;
	}
	return out + '\n';
}

/** Encodes a comment (ignored by clients, seen by proxies); multi-line text stays comment lines. */
export function encodeComment(text = ''): string {
	return (
		text
			.split(LINE_BREAK)
			.map((line) => (line ? `: ${line}\n` : ':\n'))
			.join('') + '\n'
	);
}

/** The bytes every stream starts with: the reconnection delay and a comment, so `open` fires at once. */
export function encodePreamble(retryMs: number, comment = 'live-feeds'): string {
	return encodeEvent({ retry: retryMs }).slice(0, -1) + encodeComment(comment);
}
