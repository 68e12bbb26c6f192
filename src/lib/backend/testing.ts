import { flushPending } from './fan-out';

/**
 * Helpers for the server's unit tests: read an SSE body as it arrives, and parse its events.
 * Not part of the server; only `*.test.ts` files import it.
 */

/** One parsed SSE event (fields as the client sees them; `id` only when the event carried one). */
export interface ParsedEvent {
	event: string;
	data: string;
	id?: string;
}

/** Parses complete `text/event-stream` events; comments and `retry:` blocks are skipped. */
export function parseEvents(text: string): ParsedEvent[] {
	const events: ParsedEvent[] = [];
	for (const block of text.split('\n\n')) {
		const parsed: ParsedEvent = { event: 'message', data: '' };
		const data: string[] = [];
		for (const line of block.split('\n')) {
			const at = line.indexOf(': ');
			const [name, value] = at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 2)];
			if (name === 'event') parsed.event = value;
			else if (name === 'id') parsed.id = value;
			else if (name === 'data') data.push(value);
		}
		if (data.length === 0) continue;
		parsed.data = data.join('\n');
		events.push(parsed);
	}
	return events;
}

/** Reads a stream in the background; `take()` returns the text that arrived since its last call. */
export function collect(stream: ReadableStream<Uint8Array>) {
	let text = '';
	let ended = false;
	const decoder = new TextDecoder();
	const reader = stream.getReader();
	void (async () => {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			text += decoder.decode(value, { stream: true });
		}
	})()
		.catch(() => {})
		.finally(() => (ended = true));
	return {
		/** Goes away like a client closing the connection. */
		cancel: () => reader.cancel(),
		/**
		 * Writes the batches queued this turn, lets the reader loop run the reads already resolved,
		 * then returns the new text.
		 */
		async take(): Promise<string> {
			// Microtasks only, so this works the same under fake timers: let producers' promises
			// settle, write what they queued, then let the reader take it.
			for (let i = 0; i < 20; i++) await Promise.resolve();
			flushPending();
			for (let i = 0; i < 50; i++) await Promise.resolve();
			const taken = text;
			text = '';
			return taken;
		},
		/** The new events, parsed. */
		async events(): Promise<ParsedEvent[]> {
			return parseEvents(await this.take());
		},
		/** True once the stream has ended or errored. */
		get ended(): boolean {
			return ended;
		}
	};
}
