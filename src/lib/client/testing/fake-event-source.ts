/**
 * A scriptable EventSource for unit tests: each test gets its own class (so the sharing registry
 * starts empty) and drives open, events and errors by hand.
 */
import type { EventSourceConstructor, EventSourceLike } from '../types';

/** One fake connection; the test plays the server. */
export class FakeEventSource extends EventTarget implements EventSourceLike {
	/** The readyState numbers of the spec. */
	static readonly CONNECTING = 0;
	static readonly OPEN = 1;
	static readonly CLOSED = 2;
	readyState = 0;
	readonly url: string;
	readonly withCredentials: boolean;

	constructor(url: string, init?: { withCredentials?: boolean }) {
		super();
		this.url = url;
		this.withCredentials = init?.withCredentials ?? false;
	}

	/** Whether the store closed this connection. */
	get closed(): boolean {
		return this.readyState === 2;
	}

	/** The server answered 200 with an event stream. */
	open(): void {
		this.readyState = 1;
		this.dispatchEvent(new Event('open'));
	}

	/** The server sent one event; `data` is sent as is (JSON text or anything malformed). */
	emit(name: string, data: string, id = ''): void {
		this.dispatchEvent(new MessageEvent(name, { data, lastEventId: id }));
	}

	/** The server sent one JSON event. */
	send(name: string, payload: unknown, id = ''): void {
		this.emit(name, JSON.stringify(payload), id);
	}

	/** The stream dropped and the EventSource retries on its own (readyState CONNECTING). */
	drop(message = 'stream ended'): void {
		this.readyState = 0;
		this.dispatchEvent(Object.assign(new Event('error'), { message }));
	}

	/** The EventSource gave up (readyState CLOSED), with the HTTP status when it exposes one. */
	fail(code?: number): void {
		this.readyState = 2;
		const detail = code === undefined ? {} : { code, message: `Non-200 status code (${code})` };
		this.dispatchEvent(Object.assign(new Event('error'), detail));
	}

	close(): void {
		this.readyState = 2;
	}
}

/** A fresh fake EventSource class and the list of every instance it created. */
export interface FakeEventSourceKit {
	EventSource: EventSourceConstructor;
	instances: FakeEventSource[];
	/** The newest instance; throws when none was created. */
	last(): FakeEventSource;
	/** How many instances are not closed. */
	openCount(): number;
}

/** Creates a fake EventSource class whose instances are recorded. */
export function createFakeEventSource(): FakeEventSourceKit {
	const instances: FakeEventSource[] = [];
	class Recorded extends FakeEventSource {
		constructor(url: string, init?: { withCredentials?: boolean }) {
			super(url, init);
			instances.push(this);
		}
	}
	return {
		EventSource: Recorded,
		instances,
		last() {
			const es = instances.at(-1);
			if (!es) throw new Error('no EventSource was created');
			return es;
		},
		openCount: () => instances.filter((es) => !es.closed).length
	};
}
