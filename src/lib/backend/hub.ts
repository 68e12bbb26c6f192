import { encodeEvent } from '$lib/shared/sse';
import type { FeedBus, FeedMessage } from './bus';
import { toBytes, type SseConnection } from './sse/connection';

/** Makes a feed's events. Started with the hub's first client and stopped after its last. */
export interface Producer<T> {
	/** Starts producing through `emit`; returns the function that stops it. */
	start(emit: (event: string, data: T) => void): () => void;
	/** The feed's current state, sent at once to a client that connects or cannot resume. */
	snapshot(): { event: string; data: T }[];
}

/** A message with its encoded bytes: encoded once, written as is to every client. */
export interface HubEntry<T> extends FeedMessage<T> {
	bytes: Uint8Array;
	/** Process-wide arrival order, to merge several feeds' replays in the order they happened. */
	order: number;
}

let arrivals = 0;

/** One event of a snapshot: a real event of the producer's current run, or state with no event yet. */
export interface SnapshotEvent<T> extends FeedMessage<T> {
	/** True when this is the newest event of its name sent in the producer's current run. */
	current: boolean;
	/** The event's bytes, when `current`. */
	bytes?: Uint8Array;
}

/** Options of one hub. */
export interface HubOptions {
	/** Events kept for `Last-Event-ID` resume. */
	replayCapacity: number;
	/** The first id is this plus one; ids from an earlier process are then never mistaken for ours. */
	idStart?: number;
	/** Called when a client is served a replay (for metrics). */
	onReplay?: () => void;
	/** Called when the last client or listener leaves and the producer stops. */
	onIdle?: () => void;
	/** Called for every event fanned out, with the clients and bytes written (for metrics). */
	onFanOut?: (clients: number, bytes: number) => void;
}

/** How a client joins a hub. */
export interface JoinOptions<T> {
	/** The client's last seen id; `null` when it sent none or one we do not recognise. */
	lastEventId: number | null;
	/** Only events that pass are written (for example a symbol filter). */
	filter?: (message: FeedMessage<T>) => boolean;
}

/** Something that receives a hub's entries in order; the hub's clients and multiplexed channels. */
export type HubListener<T> = (entry: HubEntry<T>) => void;

interface Client<T> {
	connection: SseConnection;
	filter: (message: FeedMessage<T>) => boolean;
}

/**
 * One feed: one producer, a replay buffer, and fan-out to every client. The producer runs only
 * while someone listens. Subscribing and unsubscribing are idempotent.
 */
export class Hub<T> {
	readonly #buffer: HubEntry<T>[] = [];
	readonly #clients = new Map<SseConnection, Client<T>>();
	readonly #listeners = new Set<HubListener<T>>();
	/** The newest event of each name in the producer's current run: the live part of a snapshot. */
	readonly #latest = new Map<string, HubEntry<T>>();
	#lastId: number;
	#stopProducer: (() => void) | null = null;
	#unsubscribeBus: (() => void) | null = null;

	constructor(
		readonly topic: string,
		readonly producer: Producer<T>,
		readonly bus: FeedBus,
		readonly options: HubOptions
	) {
		this.#lastId = options.idStart ?? 0;
	}

	/** The id of the newest event. */
	get lastId(): number {
		return this.#lastId;
	}

	/** Clients plus listeners; the producer runs while this is above zero. */
	get size(): number {
		return this.#clients.size + this.#listeners.size;
	}

	/** True while the producer runs. */
	get running(): boolean {
		return this.#stopProducer !== null;
	}

	/**
	 * Adds a client. It first gets what it missed since `lastEventId` if the replay buffer still
	 * holds it, else the current snapshot; then live events. Returns an idempotent unsubscribe.
	 */
	join(connection: SseConnection, options: JoinOptions<T>): () => void {
		const filter = options.filter ?? (() => true);
		if (this.#clients.has(connection)) return () => this.leave(connection);
		// Start the producer before the client is added: an event it emits at once is then part
		// of the snapshot below rather than sent twice.
		this.#start();
		this.#clients.set(connection, { connection, filter });
		const missed = this.entriesAfter(options.lastEventId);
		if (missed === null) {
			for (const bytes of this.snapshotBytes(filter)) connection.write(bytes);
		} else if (missed.length > 0) {
			this.options.onReplay?.();
			connection.replay(this.#replayFrom(options.lastEventId ?? this.#lastId, filter));
		}
		return () => this.leave(connection);
	}

	/** Reads the buffer lazily from `cursor`, so events published during a slow replay are included. */
	#replayFrom(cursor: number, filter: (message: FeedMessage<T>) => boolean) {
		return {
			next: (): Uint8Array | null => {
				for (;;) {
					const entry = this.entryAfter(cursor);
					if (entry === undefined) return null;
					if (entry === null) {
						// The client read so slowly that the buffer moved past it: resync with the snapshot.
						cursor = this.#lastId;
						return concat(this.snapshotBytes(filter));
					}
					cursor = entry.id;
					if (filter(entry)) return entry.bytes;
				}
			},
			done: () => {}
		};
	}

	/** Removes a client; a second call does nothing. */
	leave(connection: SseConnection): void {
		if (this.#clients.delete(connection)) this.#release();
	}

	/** Adds an in-process listener (a multiplexed channel); returns an idempotent unsubscribe. */
	listen(listener: HubListener<T>): () => void {
		if (!this.#listeners.has(listener)) {
			this.#start();
			this.#listeners.add(listener);
		}
		return () => {
			if (this.#listeners.delete(listener)) this.#release();
		};
	}

	/**
	 * The entries after `id`, oldest first, or null when `id` is unknown or already evicted
	 * (the caller then sends the snapshot instead: a resume never silently skips).
	 */
	entriesAfter(id: number | null): HubEntry<T>[] | null {
		if (id === null || id > this.#lastId) return null;
		if (id === this.#lastId) return [];
		const oldest = this.#buffer[0];
		if (!oldest || id < oldest.id - 1) return null;
		return this.#buffer.slice(id - oldest.id + 1);
	}

	/** The entry right after `id`: undefined when there is none yet, null when it was evicted. */
	entryAfter(id: number): HubEntry<T> | null | undefined {
		if (id >= this.#lastId) return undefined;
		const oldest = this.#buffer[0];
		if (!oldest || id < oldest.id - 1) return null;
		return this.#buffer[id + 1 - oldest.id];
	}

	/**
	 * The feed's current state, one event per name the producer lists. Where this run of the
	 * producer has already sent an event of that name, the snapshot is that very event, with its
	 * own id and bytes, and those come last in id order, so ids stay strictly increasing. A name
	 * with no event yet in this run (a symbol that has not moved, the first reading still being
	 * taken) is sent from the producer's state first; `current` is false for those.
	 */
	snapshot(filter: (message: FeedMessage<T>) => boolean = () => true): SnapshotEvent<T>[] {
		const fresh: SnapshotEvent<T>[] = [];
		const current: SnapshotEvent<T>[] = [];
		for (const { event, data } of this.producer.snapshot()) {
			const entry = this.#latest.get(event);
			if (entry) current.push({ ...entry, current: true });
			else fresh.push({ id: this.#lastId, event, data, current: false });
		}
		current.sort((a, b) => a.id - b.id);
		return [...fresh, ...current].filter(filter);
	}

	/**
	 * The snapshot encoded. Events of this run keep their own id line; state with no event yet
	 * has none, except when it ends the snapshot: then it carries the feed's position, so a
	 * client that saw only that resumes from the feed's start instead of missing its first moves.
	 */
	snapshotBytes(filter?: (message: FeedMessage<T>) => boolean): Uint8Array[] {
		const events = this.snapshot(filter);
		return events.map((message, i) => {
			if (message.current && message.bytes) return message.bytes;
			const { event, id, data } = message;
			return toBytes(encodeEvent({ event, data, id: i === events.length - 1 ? id : undefined }));
		});
	}

	#start(): void {
		if (this.#stopProducer) return;
		// What a stopped producer last sent may be stale now (a price moved on, an old reading).
		this.#latest.clear();
		this.#unsubscribeBus = this.bus.subscribe<T>(this.topic, (message) => this.#deliver(message));
		this.#stopProducer = this.producer.start((event, data) => {
			this.bus.publish<T>(this.topic, { id: this.#lastId + 1, event, data });
		});
	}

	#release(): void {
		if (this.size > 0) return;
		this.#stopProducer?.();
		this.#stopProducer = null;
		this.#unsubscribeBus?.();
		this.#unsubscribeBus = null;
		this.options.onIdle?.();
	}

	#deliver(message: FeedMessage<T>): void {
		const entry: HubEntry<T> = {
			...message,
			order: ++arrivals,
			bytes: toBytes(encodeEvent({ event: message.event, id: message.id, data: message.data }))
		};
		this.#latest.set(entry.event, entry);
		this.#lastId = message.id;
		this.#buffer.push(entry);
		if (this.#buffer.length > this.options.replayCapacity) this.#buffer.shift();
		let written = 0;
		for (const client of this.#clients.values()) {
			// A replaying client reads this entry from the buffer when its replay reaches it.
			if (client.connection.replaying || !client.filter(entry)) continue;
			if (client.connection.write(entry.bytes)) written++;
		}
		for (const listener of this.#listeners) listener(entry);
		this.options.onFanOut?.(written, written * entry.bytes.byteLength);
	}
}

/** Joins byte chunks into one. */
export function concat(chunks: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}
