import type { Topic } from '$lib/shared/contract';
import { encodeEvent } from '$lib/shared/sse';
import { formatMultiplexId, parseMultiplexId } from '$lib/shared/validate';
import type { FeedMessage } from './bus';
import { concat, type Hub, type HubEntry } from './hub';
import { toBytes, type SseConnection } from './sse/connection';

/** One feed carried by a multiplexed channel. */
export interface MultiplexSource {
	topic: Topic;
	hub: Hub<unknown>;
	/** Only messages that pass are carried (the stocks symbol filter). */
	filter?: (message: FeedMessage<unknown>) => boolean;
}

/** The event name on the multiplexed stream: `time`, `system`, `stocks:AAPL`. */
export function muxEventName(topic: Topic, event: string): string {
	return event === 'message' ? topic : `${topic}:${event}`;
}

/**
 * Several feeds over one stream. Clients asking for the same feeds (same topics, symbols and
 * interval) share a channel, so each event is encoded once per channel, not once per client.
 * The id records every feed's position (`time=12;stocks=40`), so a reconnect resumes each feed.
 */
export class MultiplexChannel {
	readonly #clients = new Set<SseConnection>();
	readonly #positions: Partial<Record<Topic, number>> = {};
	readonly #topics: Topic[];
	#unlisten: (() => void)[] = [];

	constructor(
		readonly sources: MultiplexSource[],
		readonly onEmpty: () => void,
		readonly onFanOut: (clients: number, bytes: number) => void = () => {},
		readonly onReplay: () => void = () => {}
	) {
		this.#topics = sources.map((s) => s.topic);
	}

	/** Connected clients. */
	get size(): number {
		return this.#clients.size;
	}

	/** Adds a client, resuming each feed from its `Last-Event-ID`; returns an idempotent leave. */
	join(connection: SseConnection, lastEventId: string | null): () => void {
		if (this.#clients.has(connection)) return () => this.leave(connection);
		// Listen before adding the client: an event a producer emits on start is then part of the
		// snapshot below rather than sent twice.
		if (this.#clients.size === 0) this.#listen();
		this.#clients.add(connection);
		const resume = parseMultiplexId(lastEventId);
		// A position past the hub's newest id was never issued by this process: not resumable.
		const resumable = this.sources.filter((s) => {
			const position = resume[s.topic];
			return (
				position !== undefined && position <= s.hub.lastId && s.hub.entryAfter(position) !== null
			);
		});
		if (resumable.length === 0) {
			for (const bytes of this.#snapshot(this.sources, {}, this.#positions)) {
				connection.write(bytes);
			}
		} else {
			const stale = this.sources.filter((s) => !resumable.includes(s));
			this.onReplay();
			connection.replay(this.#catchUp(resume, stale));
		}
		return () => this.leave(connection);
	}

	/** Removes a client; the channel stops listening after its last one. */
	leave(connection: SseConnection): void {
		if (!this.#clients.delete(connection) || this.#clients.size > 0) return;
		for (const unlisten of this.#unlisten) unlisten();
		this.#unlisten = [];
		this.onEmpty();
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
		const bytes = this.#encode(source.topic, entry, this.#positions);
		let written = 0;
		for (const client of this.#clients) {
			if (!client.replaying && client.write(bytes)) written++;
		}
		this.onFanOut(written, written * bytes.byteLength);
	}

	#encode(topic: Topic, message: FeedMessage<unknown>, positions: Partial<Record<Topic, number>>) {
		const id = formatMultiplexId(positions, this.#topics);
		return toBytes(
			encodeEvent({ event: muxEventName(topic, message.event), id, data: message.data })
		);
	}

	/**
	 * Current state of `sources`, advancing `positions` as it goes: an event of a producer's current
	 * run carries the id of every position so far; state with no event yet carries none, except at
	 * the very end, where the id holds every position `final` (default: what was advanced).
	 */
	#snapshot(
		sources: MultiplexSource[],
		positions: Partial<Record<Topic, number>>,
		final: Partial<Record<Topic, number>> = positions
	): Uint8Array[] {
		const events = sources.flatMap((source) =>
			source.hub.snapshot(source.filter).map((message) => ({ topic: source.topic, message }))
		);
		return events.map(({ topic, message }, i) => {
			positions[topic] = message.id;
			if (i === events.length - 1) return this.#encode(topic, message, { ...final, ...positions });
			if (message.current) return this.#encode(topic, message, positions);
			return toBytes(
				encodeEvent({ event: muxEventName(topic, message.event), data: message.data })
			);
		});
	}

	/**
	 * A lazy replay: feeds the buffer no longer covers get their snapshot first, then the missed
	 * events of all feeds merged in the order they happened, each with the client's own positions.
	 */
	#catchUp(resume: Partial<Record<Topic, number>>, stale: MultiplexSource[]) {
		const positions: Partial<Record<Topic, number>> = { ...resume };
		for (const source of stale) delete positions[source.topic];
		let head: Uint8Array | null =
			stale.length > 0 ? concat(this.#snapshot(stale, positions)) : null;
		for (const source of stale) positions[source.topic] ??= source.hub.lastId;
		return {
			next: (): Uint8Array | null => {
				if (head) {
					const bytes = head;
					head = null;
					return bytes;
				}
				for (;;) {
					let best: { source: MultiplexSource; entry: HubEntry<unknown> } | null = null;
					for (const source of this.sources) {
						const entry = source.hub.entryAfter(positions[source.topic] ?? source.hub.lastId);
						if (entry === null) {
							// Evicted while this client read slowly: jump that feed to its snapshot.
							delete positions[source.topic];
							const bytes = concat(this.#snapshot([source], positions));
							positions[source.topic] ??= source.hub.lastId;
							return bytes;
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
			done: () => {}
		};
	}
}
