import type { Topic } from '$lib/shared/contract';
import { encodeEvent } from '$lib/shared/sse';
import { formatMultiplexId, parseMultiplexId } from '$lib/shared/validate';
import type { FeedMessage } from './bus';
import {
	concatBytes,
	currentOrder,
	emptyTally,
	HOLD,
	scheduleFlush,
	sendFirst,
	writeBatch,
	type FanOutTally,
	type Pending
} from './fan-out';
import type { Hub, HubEntry } from './hub';
import { toBytes, type SseConnection } from './sse/connection';

/** One feed carried by a multiplexed channel. */
export interface MultiplexSource {
	topic: Topic;
	hub: Hub<unknown>;
	/** Only messages that pass are carried (the stocks symbol filter). */
	filter?: (message: FeedMessage<unknown>) => boolean;
}

/** The event name on the multiplexed stream: `time`, `system`, `stocks:AAPL`. */
export function multiplexEventName(topic: Topic, event: string): string {
	return event === 'message' ? topic : `${topic}:${event}`;
}

type Positions = Partial<Record<Topic, number>>;

/**
 * Several feeds over one stream. Clients asking for the same feeds (same topics, symbols and
 * interval) share a channel, so each event is encoded once per channel, not once per client, and
 * a turn's events leave in one write per client. The id records every feed's position
 * (`time=12;stocks=40`), so a reconnect resumes each feed.
 */
export class MultiplexChannel {
	readonly #clients = new Set<SseConnection>();
	readonly #positions: Positions = {};
	readonly #topics: Topic[];
	#queued: Pending[] = [];
	#unlisten: (() => void)[] = [];

	constructor(
		readonly sources: MultiplexSource[],
		readonly onEmpty: () => void,
		readonly onFanOut: (tally: FanOutTally) => void = () => {},
		readonly onReplay: () => void = () => {}
	) {
		this.#topics = sources.map((s) => s.topic);
	}

	/** Connected clients. */
	get size(): number {
		return this.#clients.size;
	}

	/**
	 * Adds a client, resuming each feed from its `Last-Event-ID`; a client that does not resume
	 * gets `history` past events of each feed before the snapshot. Returns an idempotent leave.
	 */
	join(connection: SseConnection, lastEventId: string | null, history = 0): () => void {
		if (this.#clients.has(connection)) return () => this.leave(connection);
		// Listen before adding the client: an event a producer emits on start is then part of the
		// snapshot below rather than sent twice.
		if (this.#clients.size === 0) this.#listen();
		this.#clients.add(connection);
		const resume = parseMultiplexId(lastEventId);
		const behind = this.sources.filter((s) => {
			const position = resume[s.topic];
			return s.hub.filling || (position !== undefined && s.hub.needsBackfill(position));
		});
		if (behind.length > 0) {
			// Some feed's buffer is still filling from the shared log, or does not reach back to the
			// client's position yet: hold the client until it does.
			connection.replay(HOLD);
			void Promise.all(
				behind.map(async (s) => {
					await s.hub.ready();
					const position = resume[s.topic];
					if (position !== undefined) await s.hub.backfill(position);
				})
			).then(() => this.#serve(connection, resume, history));
		} else {
			this.#serve(connection, resume, history);
		}
		return () => this.leave(connection);
	}

	/** Sends a joined client what it missed of each feed (or their snapshots and history). */
	#serve(connection: SseConnection, resume: Positions, history: number): void {
		if (connection.closed || !this.#clients.has(connection)) return;
		// A position past the hub's newest id was never issued by this process: not resumable.
		const resumable = this.sources.filter((s) => {
			const position = resume[s.topic];
			return (
				position !== undefined && position <= s.hub.lastId && s.hub.entryAfter(position) !== null
			);
		});
		if (resumable.length === 0) {
			const initial = this.#initial(this.sources, {}, history);
			sendFirst(connection, initial.length > 0 ? concatBytes(initial) : null);
		} else {
			const stale = this.sources.filter((s) => !resumable.includes(s));
			this.onReplay();
			connection.replay(this.#catchUp(connection, resume, stale));
		}
	}

	/** Removes a client; the channel stops listening after its last one. */
	leave(connection: SseConnection): void {
		if (!this.#clients.delete(connection) || this.#clients.size > 0) return;
		for (const unlisten of this.#unlisten) unlisten();
		this.#unlisten = [];
		this.#queued = [];
		this.onEmpty();
	}

	/**
	 * Writes the queued events, one chunk per client; called by the fan-out scheduler. False when
	 * the turn's writes ran out first: the rest stays queued for the next turn.
	 */
	flush(): boolean {
		if (this.#queued.length === 0) return true;
		const tally = emptyTally();
		const done = writeBatch(this.#clients, this.#queued, tally);
		if (done) this.#queued = [];
		this.onFanOut(tally);
		return done;
	}

	#listen(): void {
		this.#unlisten = this.sources.map((source) =>
			source.hub.listen((entry) => this.#deliver(source, entry))
		);
		// Read after listening: starting a producer may have sent its first event already.
		for (const source of this.sources) this.#positions[source.topic] ??= source.hub.lastId;
	}

	#deliver(source: MultiplexSource, entry: HubEntry<unknown>): void {
		if (source.filter && !source.filter(entry)) return;
		this.#positions[source.topic] = entry.id;
		this.#queued.push({
			bytes: this.#encode(source.topic, entry, this.#positions),
			order: entry.order
		});
		scheduleFlush(this);
	}

	#encode(topic: Topic, message: FeedMessage<unknown>, positions: Positions): Uint8Array {
		const id = formatMultiplexId(positions, this.#topics);
		return toBytes(
			encodeEvent({ event: multiplexEventName(topic, message.event), id, data: message.data })
		);
	}

	/**
	 * What a client that does not resume `sources` gets: each source's `history` past events and
	 * snapshot, merged in the order they happened, each with the positions so far (advanced in
	 * `positions`).
	 */
	#initial(sources: MultiplexSource[], positions: Positions, history: number): Uint8Array[] {
		// Each feed's events in id order, merged across feeds in the order they arrived.
		const lists = sources.map((source) => ({
			topic: source.topic,
			entries: source.hub.initialEntries(source.filter ?? (() => true), history),
			next: 0
		}));
		const out: Uint8Array[] = [];
		for (;;) {
			let best: (typeof lists)[number] | null = null;
			for (const list of lists) {
				const head = list.entries[list.next];
				if (head && (!best || head.order < best.entries[best.next]!.order)) best = list;
			}
			if (!best) return out;
			const entry = best.entries[best.next++]!;
			positions[best.topic] = entry.id;
			out.push(this.#encode(best.topic, entry, positions));
		}
	}

	/**
	 * A lazy replay: feeds the buffer no longer covers get their snapshot first, then the missed
	 * events of all feeds merged in the order they happened, each with the client's own positions.
	 */
	#catchUp(connection: SseConnection, resume: Positions, stale: MultiplexSource[]) {
		const positions: Positions = { ...resume };
		for (const source of stale) delete positions[source.topic];
		let head: Uint8Array | null =
			stale.length > 0 ? concatBytes(this.#initial(stale, positions, 0)) : null;
		for (const source of stale) positions[source.topic] ??= source.hub.lastId;
		return {
			next: (): Uint8Array | null => {
				if (head) {
					const bytes = head;
					head = null;
					if (bytes.byteLength > 0) return bytes;
				}
				for (;;) {
					let best: { source: MultiplexSource; entry: HubEntry<unknown> } | null = null;
					for (const source of this.sources) {
						const entry = source.hub.entryAfter(positions[source.topic] ?? source.hub.lastId);
						if (entry === null) {
							// Evicted while this client read slowly: jump that feed to its snapshot.
							delete positions[source.topic];
							const bytes = concatBytes(this.#initial([source], positions, 0));
							positions[source.topic] ??= source.hub.lastId;
							if (bytes.byteLength > 0) return bytes;
							continue;
						}
						if (entry && (!best || entry.order < best.entry.order)) best = { source, entry };
					}
					if (!best) return null;
					positions[best.source.topic] = best.entry.id;
					if (!best.source.filter || best.source.filter(best.entry)) {
						return this.#encode(best.source.topic, best.entry, positions);
					}
				}
			},
			done: () => {
				// Everything delivered so far was read from the buffers: the next flush skips it.
				connection.seen = currentOrder();
			}
		};
	}
}
