/** Helpers for the widgets' tests: stores to drive by hand, SSE answers (one-off or controlled) and frames. */
import { writable, type Writable } from 'svelte/store';
import { encodeEvent, encodePreamble, type SseMessage } from '$lib/shared/sse';
import type { ConnectionState, FeedValue } from '$lib/client';
import type { FrameScheduler } from './frame-throttle';

/** The base URL the tests use; the mock handlers match any origin. */
export const TEST_BASE = 'http://localhost';

/** A store holding one feed value, set by the test. */
export function feedStore<T>(
	data?: T,
	receivedAt = Date.now()
): Writable<FeedValue<T> | undefined> {
	return writable(data === undefined ? undefined : { data, id: null, receivedAt });
}

/** Wraps a payload as a fresh feed value. */
export function feedValue<T>(data: T, receivedAt = Date.now()): FeedValue<T> {
	return { data, id: null, receivedAt };
}

/** A connection state, open unless overridden. */
export function connectionState(overrides: Partial<ConnectionState> = {}): ConnectionState {
	return {
		status: 'open',
		attempt: 0,
		nextRetryAt: null,
		lastEventId: null,
		lastEventAt: null,
		lastError: null,
		...overrides
	};
}

/** A stream that sends `messages` and then stays open and silent, as a stalled server would. */
export function silentAfter(messages: SseMessage[]): Response {
	const body = new ReadableStream<Uint8Array>({
		start(controller) {
			const encoder = new TextEncoder();
			controller.enqueue(encoder.encode(encodePreamble(60_000)));
			for (const message of messages) controller.enqueue(encoder.encode(encodeEvent(message)));
		}
	});
	return new Response(body, {
		headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
	});
}

/** A stream the test writes to event by event, so a component test never races a timer. */
export interface ControlledStream {
	/** The answer for an MSW handler; each call starts a new stream (a reconnect). */
	response(): Response;
	/** Sends one event on the newest stream. */
	send(message: SseMessage): void;
	/** Ends the newest stream, as the server does after a job's last event. */
	end(): void;
	/** How many streams were requested so far. */
	readonly requests: number;
}

/** Creates a {@link ControlledStream}. */
export function controlledStream(): ControlledStream {
	const encoder = new TextEncoder();
	let current: ReadableStreamDefaultController<Uint8Array> | null = null;
	let requests = 0;
	return {
		get requests() {
			return requests;
		},
		response() {
			requests += 1;
			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					current = controller;
					controller.enqueue(encoder.encode(encodePreamble(60_000)));
				}
			});
			return new Response(body, {
				headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
			});
		},
		send(message) {
			if (!current) throw new Error('no stream was requested yet');
			current.enqueue(encoder.encode(encodeEvent(message)));
		},
		end() {
			current?.close();
			current = null;
		}
	};
}

/** A JSON error answer in the contract's shape. */
export function apiError(status: number, code: string, message = code): Response {
	return Response.json({ error: { code, message } }, { status });
}

/** Frames that run only when the test says so. */
export function manualFrames(): {
	scheduler: FrameScheduler;
	/** How many callbacks wait for the next frame. */
	pending(): number;
	/** Runs one frame: every callback requested so far. */
	frame(): void;
} {
	let queue: (() => void)[] = [];
	return {
		scheduler: {
			request(callback) {
				queue.push(callback);
				return () => (queue = queue.filter((queued) => queued !== callback));
			}
		},
		pending: () => queue.length,
		frame() {
			const run = queue;
			queue = [];
			for (const callback of run) callback();
		}
	};
}
