import { encodeEvent } from '$lib/shared/sse';
import type { FeedBus, FeedMessage } from './bus';
import {
	concatBytes,
	currentOrder,
	emptyTally,
	HOLD,
	nextOrder,
	scheduleFlush,
	sendFirst,
	writeBatch,
	type FanOutTally,
	type Pending
} from './fan-out';
import { toBytes, type SseConnection } from './sse/connection';

/**
 * Makes a feed's events. Started with the hub's first client and stopped after its last. It
 * emits its current state as events when it starts (a tick, every symbol's quote), so that every
 * event a client gets, its snapshot included, is a real event with its own id.
 */
export interface Producer<T> {
	/** Starts producing through `emit`; returns the function that stops it. */
	start(emit: (event: string, data: T) => void): () => void;
}

/** A message with its encoded bytes: encoded once, written as is to every client. */
export interface HubEntry<T> extends FeedMessage<T>, Pending {}

/** Options of one hub. */
export interface HubOptions {
	/** Events kept for `Last-Event-ID` resume and `?history=`. */
	replayCapacity: number;
	/** Called when a client is served a replay (for metrics). */
	onReplay?: () => void;
	/** Called when the last client or listener leaves and the producer stops. */
	onIdle?: () => void;
	/** Called after every flush with what it wrote (for metrics). */
	onFanOut?: (tally: FanOutTally) => void;
}

/** How a client joins a hub. */
export interface JoinOptions<T> {
	/** The client's last seen id; `null` when it sent none or one we do not recognise. */
	lastEventId: number | null;
	/** Only events that pass are written (for example a symbol filter). */
	filter?: (message: FeedMessage<T>) => boolean;
	/**
	 * Names the filter: clients with the same key share one write per batch. Default: a key of
	 * the client's own when there is a filter, so it is never mixed up with another's.
	 */
	filterKey?: string;
	/** Events of the past to send first, when the client does not resume (`?history=`). Default 0. */
	history?: number;
}

/** Something that receives a hub's entries in order; the hub's multiplexed channels. */
export type HubListener<T> = (entry: HubEntry<T>) => void;

interface Group<T> {
	filter: ((message: FeedMessage<T>) => boolean) | null;
	clients: Set<SseConnection>;
	queued: HubEntry<T>[];
}

const ALL = '';

/**
 * One feed: one producer (under the bus's lease), a replay buffer, and coalesced fan-out to
 * every client. The producer runs only while someone listens. Subscribing and unsubscribing are
 * idempotent.
 */
export class Hub<T> {
	readonly #buffer: HubEntry<T>[] = [];
	readonly #groups = new Map<string, Group<T>>();
	readonly #groupOf = new Map<SseConnection, Group<T>>();
	readonly #listeners = new Set<HubListener<T>>();
	/** The newest event of each name since the producer last started: the snapshot. */
	readonly #latest = new Map<string, HubEntry<T>>();
	#lastId = 0;
	#ownKeys = 0;
	#release: (() => void) | null = null;
	/** Who waits for the buffer to be filled from a shared log (a hub just started); null when it is. */
	#waiting: (() => void)[] | null = null;

	constructor(
		readonly topic: string,
		readonly producer: Producer<T>,
		readonly bus: FeedBus,
		readonly options: HubOptions
	) {}

	/** The id of the newest event (0 before the first). */
	get lastId(): number {
		return this.#lastId;
	}

	/** Clients plus listeners; the producer runs while this is above zero. */
	get size(): number {
		return this.#groupOf.size + this.#listeners.size;
	}

	/** True while the hub is subscribed to its topic (and leads its producer when it holds the lease). */
	get running(): boolean {
		return this.#release !== null;
	}

	/**
	 * Adds a client. It first gets what it missed since `lastEventId` if the replay buffer still
	 * holds it, else the current snapshot (after `history` past events); then live events.
	 * Returns an idempotent unsubscribe.
	 */
	join(connection: SseConnection, options: JoinOptions<T>): () => void {
		if (this.#groupOf.has(connection)) return () => this.leave(connection);
		const filter = options.filter ?? null;
		const key = options.filterKey ?? (filter ? `#${++this.#ownKeys}` : ALL);
		// Start before the client is added: an event the producer emits at once is then part of
		// the snapshot below rather than sent twice.
		this.#start();
		let group = this.#groups.get(key);
		if (!group) this.#groups.set(key, (group = { filter, clients: new Set(), queued: [] }));
		group.clients.add(connection);
		this.#groupOf.set(connection, group);
		const pass = filter ?? (() => true);
		const { lastEventId } = options;
		if (this.#waiting || (lastEventId !== null && this.needsBackfill(lastEventId))) {
			// The buffer is still being filled from the shared log, or the client's id is older
			// than it (another instance served it): hold the client until the buffer holds it.
			connection.replay(HOLD);
			void this.ready()
				.then(() => (lastEventId === null ? undefined : this.backfill(lastEventId)))
				.then(() => this.#serve(connection, options, pass));
		} else {
			this.#serve(connection, options, pass);
		}
		return () => this.leave(connection);
	}

	/** Sends a joined client what it missed (or the snapshot and history), then lets it go live. */
	#serve(
		connection: SseConnection,
		options: JoinOptions<T>,
		filter: (message: FeedMessage<T>) => boolean
	): void {
		if (connection.closed || !this.#groupOf.has(connection)) return;
		const missed = this.entriesAfter(options.lastEventId);
		if (missed === null) {
			const initial = this.initialEntries(filter, options.history ?? 0);
			sendFirst(connection, initial.length > 0 ? concatBytes(initial.map((e) => e.bytes)) : null);
		} else if (missed.length > 0) {
			this.options.onReplay?.();
			connection.replay(this.#replayFrom(connection, options.lastEventId ?? this.#lastId, filter));
		} else {
			sendFirst(connection, null);
		}
	}

	/** True while the buffer is being filled from the shared log (a hub that just started). */
	get filling(): boolean {
		return this.#waiting !== null;
	}

	/** Resolves once the buffer holds what the shared log had when the hub started (at once in memory). */
	ready(): Promise<void> {
		const waiting = this.#waiting;
		return waiting ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve();
	}

	/**
	 * True when `id` is older than our buffer reaches but the shared log may still hold it: it was
	 * issued by another instance, or before this hub started.
	 */
	needsBackfill(id: number): boolean {
		if (!this.bus.sharedLog || id > this.#lastId) return false;
		const oldest = this.#buffer[0];
		return !oldest || id < oldest.id - 1;
	}

	/**
	 * Puts the shared log's events after `id` in front of the buffer, so that a client that
	 * resumes from `id` replays from it as from any buffer (nothing when the log no longer reaches
	 * back to `id`, or when the buffer already does).
	 */
	async backfill(id: number): Promise<void> {
		if (!this.needsBackfill(id)) return;
		const messages = await this.bus
			.read<T>(this.topic, id, this.options.replayCapacity)
			.catch(() => null);
		if (!messages || messages[0]?.id !== id + 1) return;
		const oldest = this.#buffer[0]?.id ?? Infinity;
		const older = messages.filter((m) => m.id < oldest).map((m) => this.#entry(m));
		this.#buffer.unshift(...older);
		const newest = older.at(-1);
		if (newest && newest.id > this.#lastId) this.#lastId = newest.id;
	}

	/** Reads the buffer lazily from `cursor`, so events published during a slow replay are included. */
	#replayFrom(
		connection: SseConnection,
		cursor: number,
		filter: (message: FeedMessage<T>) => boolean
	) {
		return {
			next: (): Uint8Array | null => {
				for (;;) {
					const entry = this.entryAfter(cursor);
					if (entry === undefined) return null;
					if (entry === null) {
						// The client read so slowly that the buffer moved past it: resync with the snapshot.
						cursor = this.#lastId;
						const snapshot = this.initialEntries(filter, 0);
						if (snapshot.length > 0) return concatBytes(snapshot.map((e) => e.bytes));
						continue;
					}
					cursor = entry.id;
					if (filter(entry)) return entry.bytes;
				}
			},
			done: () => {
				// Everything delivered so far was read from the buffer: the next flush skips it.
				connection.seen = currentOrder();
			}
		};
	}

	/** Removes a client; a second call does nothing. */
	leave(connection: SseConnection): void {
		const group = this.#groupOf.get(connection);
		if (!group) return;
		this.#groupOf.delete(connection);
		group.clients.delete(connection);
		this.#releaseIfIdle();
	}

	/** Adds an in-process listener (a multiplexed channel); returns an idempotent unsubscribe. */
	listen(listener: HubListener<T>): () => void {
		if (!this.#listeners.has(listener)) {
			this.#start();
			this.#listeners.add(listener);
		}
		return () => {
			if (this.#listeners.delete(listener)) this.#releaseIfIdle();
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
		return this.#buffer.slice(this.#indexAfter(id));
	}

	/** The entry right after `id`: undefined when there is none yet, null when it was evicted. */
	entryAfter(id: number): HubEntry<T> | null | undefined {
		if (id >= this.#lastId) return undefined;
		const oldest = this.#buffer[0];
		if (!oldest || id < oldest.id - 1) return null;
		return this.#buffer[this.#indexAfter(id)];
	}

	/** Where the first entry after `id` sits; ids are consecutive but for a shared log's skips. */
	#indexAfter(id: number): number {
		const guess = id + 1 - this.#buffer[0]!.id;
		if (this.#buffer[guess]?.id === id + 1) return guess;
		const index = this.#buffer.findIndex((entry) => entry.id > id);
		return index < 0 ? this.#buffer.length : index;
	}

	/**
	 * The feed's current state: the newest event of each name since the producer started, each
	 * with its own id and bytes, in id order.
	 */
	snapshot(filter: (message: FeedMessage<T>) => boolean = () => true): HubEntry<T>[] {
		return [...this.#latest.values()].filter(filter).sort((a, b) => a.id - b.id);
	}

	/**
	 * What a client that does not resume gets first: the newest `history` events that pass
	 * `filter` from the replay buffer, together with the snapshot, in id order and each once.
	 */
	initialEntries(filter: (message: FeedMessage<T>) => boolean, history: number): HubEntry<T>[] {
		const snapshot = this.snapshot(filter);
		if (history <= 0) return snapshot;
		const past: HubEntry<T>[] = [];
		for (let i = this.#buffer.length - 1; i >= 0 && past.length < history; i--) {
			const entry = this.#buffer[i]!;
			if (filter(entry)) past.push(entry);
		}
		const byId = new Map<number, HubEntry<T>>();
		for (const entry of [...past, ...snapshot]) byId.set(entry.id, entry);
		return [...byId.values()].sort((a, b) => a.id - b.id);
	}

	#start(): void {
		if (this.#release) return;
		// What a stopped producer last sent may be stale now (a price moved on, an old reading);
		// the producer sends its current state again as it starts.
		this.#latest.clear();
		if (this.bus.sharedLog) {
			// Other instances went on publishing while this hub was idle: what it kept has a gap
			// now. It starts afresh from the log instead.
			this.#buffer.length = 0;
			this.#lastId = 0;
		}
		const unsubscribe = this.bus.subscribe<T>(this.topic, (message) => this.#deliver(message));
		if (this.bus.sharedLog) this.#preload();
		const unlead = this.bus.lead(this.topic, (lease) =>
			this.producer.start((event, data) => this.bus.publish<T>(this.topic, event, data, lease))
		);
		this.#release = () => {
			unlead();
			unsubscribe();
			this.#waiting = null;
		};
	}

	/**
	 * Fills the buffer from the shared log's newest events; joins meanwhile wait for it. They are
	 * the snapshot too while another instance produces the feed; when none does (everyone left a
	 * while ago), they are only the past, and this hub's producer sends the current state.
	 */
	#preload(): void {
		const waiting: (() => void)[] = (this.#waiting = []);
		const finish = () => {
			if (this.#waiting === waiting) this.#waiting = null;
			for (const serve of waiting) serve();
		};
		const current = this.bus.hasProducer?.(this.topic).catch(() => false) ?? true;
		Promise.all([this.bus.tail<T>(this.topic, this.options.replayCapacity), current]).then(
			([messages, isCurrent]) => {
				// Live events may have arrived meanwhile: keep only what is older than them.
				const firstLive = this.#buffer[0]?.id ?? Infinity;
				const older = messages.filter((m) => m.id < firstLive);
				const entries = older.map((message) => this.#entry(message));
				this.#buffer.unshift(...entries);
				while (this.#buffer.length > this.options.replayCapacity) this.#buffer.shift();
				for (const entry of isCurrent ? entries : []) {
					const newer = this.#latest.get(entry.event);
					if (!newer || newer.id < entry.id) this.#latest.set(entry.event, entry);
				}
				if (this.#lastId < (entries.at(-1)?.id ?? 0)) this.#lastId = entries.at(-1)!.id;
				finish();
			},
			finish
		);
	}

	#entry(message: FeedMessage<T>): HubEntry<T> {
		return {
			...message,
			order: nextOrder(),
			bytes: toBytes(encodeEvent({ event: message.event, id: message.id, data: message.data }))
		};
	}

	#releaseIfIdle(): void {
		if (this.size > 0 || !this.#release) return;
		this.#release();
		this.#release = null;
		this.options.onIdle?.();
	}

	#deliver(message: FeedMessage<T>): void {
		// A shared log may deliver an event twice across a reconnect; ids only grow.
		if (message.id <= this.#lastId) return;
		const entry = this.#entry(message);
		this.#latest.set(entry.event, entry);
		this.#lastId = message.id;
		this.#buffer.push(entry);
		if (this.#buffer.length > this.options.replayCapacity) this.#buffer.shift();
		for (const listener of this.#listeners) listener(entry);
		let queued = false;
		for (const group of this.#groups.values()) {
			if (group.clients.size === 0 || (group.filter && !group.filter(entry))) continue;
			group.queued.push(entry);
			queued = true;
		}
		if (queued) scheduleFlush(this);
	}

	/**
	 * Writes the queued events, one chunk per client; called by the fan-out scheduler. False when
	 * the turn's writes ran out first: the rest stays queued for the next turn.
	 */
	flush(): boolean {
		const tally = emptyTally();
		let done = true;
		for (const [key, group] of this.#groups) {
			if (group.queued.length > 0) {
				if (writeBatch(group.clients, group.queued, tally)) group.queued = [];
				else done = false;
			}
			if (group.clients.size === 0) this.#groups.delete(key);
		}
		this.options.onFanOut?.(tally);
		return done;
	}
}
