/**
 * Reads an SSE response the way a client does, and keeps the raw text for byte-level checks.
 * Shared by the contract suite and the mock's unit tests.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Everything one request answered, growing while the stream runs. */
export interface SseRecording {
	response: Response;
	/** The body as text so far. */
	text: string;
	/** Dispatched data events, in order (pings are kept apart: any idle stream may carry them). */
	events: EventSourceMessage[];
	/** The `ping` heartbeats. */
	pings: EventSourceMessage[];
	/** True once the body has ended (or was cancelled). */
	ended: boolean;
	/** Resolves once `ready(recording)` holds; rejects if the stream ends first. */
	until(ready: (r: SseRecording) => boolean): Promise<void>;
	/** Cancels the body (the client goes away). */
	close(): Promise<void>;
}

/** Fetches `url` and records its body; for a non-stream answer the body is read as text. */
export async function record(url: string, init?: RequestInit): Promise<SseRecording> {
	const controller = new AbortController();
	const response = await fetch(url, { ...init, signal: controller.signal });
	const waiters = new Set<() => void>();
	const notify = () => waiters.forEach((w) => w());
	const recording: SseRecording = {
		response,
		text: '',
		events: [],
		pings: [],
		ended: false,
		until(ready) {
			return new Promise<void>((resolve, reject) => {
				const check = () => {
					if (ready(recording)) {
						waiters.delete(check);
						resolve();
					} else if (recording.ended) {
						waiters.delete(check);
						reject(new Error(`stream ended first; received:\n${recording.text}`));
					}
				};
				waiters.add(check);
				check();
			});
		},
		async close() {
			controller.abort();
			recording.ended = true;
			notify();
		}
	};
	const parser = createParser({
		onEvent: (event) => (event.event === 'ping' ? recording.pings : recording.events).push(event)
	});
	const body = response.body;
	if (!body) {
		recording.ended = true;
		return recording;
	}
	const reader = body.getReader();
	const decoder = new TextDecoder();
	void (async () => {
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				const text = decoder.decode(value, { stream: true });
				recording.text += text;
				parser.feed(text);
				notify();
			}
		} catch {
			// Aborted by close(): the recording simply ends.
		}
		recording.ended = true;
		notify();
	})();
	return recording;
}

/** The events that carry an `id:` (snapshots carry one only on their last event). */
export function withIds(events: EventSourceMessage[]): EventSourceMessage[] {
	return events.filter((e) => e.id !== undefined);
}
