/**
 * The mock's streams, with the server's semantics (src/lib/server/hub.ts, feeds/multiplex.ts):
 * a client that can resume gets what it missed; any other gets the current snapshot. A snapshot
 * event that the producer has sent in its current run is that very event, with its own id, and
 * those come last in id order; state with no event yet comes first, without an id, except that the
 * snapshot's last event always carries the feed's position.
 */
import {
	encodeEvent,
	formatMultiplexId,
	parseEventId,
	parseMultiplexId,
	type Topic
} from '$lib/shared';
import type { FeedEvent } from './feed';
import type { StreamSink } from './respond';

/** A snapshot entry: state with no event yet, or (with `id`) the newest event of its name. */
export interface SnapshotEvent<T> {
	event: string | undefined;
	data: T;
	/** The event's own id, when it is a real event of the producer's current run. */
	id?: number;
}

/** What a stream needs of a `ReplayFeed` (methods, so a feed of any payload fits `unknown`). */
export interface FeedLike<T> {
	readonly seq: number;
	since(id: number): FeedEvent<T>[] | null;
	subscribe(listener: (event: FeedEvent<T>) => void): () => void;
}

/** One feed as a stream serves it. */
export interface FeedSource<T> {
	feed: FeedLike<T>;
	/** The current state, sent to a client that cannot resume (see `orderSnapshot`). */
	snapshot: () => SnapshotEvent<T>[];
	/** Only events that pass are sent (the stocks symbol filter). */
	filter?: (event: SnapshotEvent<T>) => boolean;
}

const pass = () => true;

/** Puts state with no event yet first, then real events in id order (ids strictly increase). */
export function orderSnapshot<T>(events: SnapshotEvent<T>[]): SnapshotEvent<T>[] {
	const fresh = events.filter((e) => e.id === undefined);
	const current = events.filter((e) => e.id !== undefined).sort((a, b) => a.id! - b.id!);
	return [...fresh, ...current];
}

/** The snapshot as the feed has it at the moment: each state event with its own id where it has one. */
export function feedSnapshot<T>(
	feed: { latestOf(event: string | undefined): FeedEvent<T> | undefined },
	state: SnapshotEvent<T>[]
): SnapshotEvent<T>[] {
	return orderSnapshot(
		state.map((e) => {
			const latest = feed.latestOf(e.event);
			return latest ? { event: latest.event, data: latest.data, id: latest.id } : e;
		})
	);
}

function encodeSnapshot<T>(events: SnapshotEvent<T>[], lastId: string | undefined): string {
	return events
		.map((e, i) =>
			encodeEvent({
				event: e.event,
				data: e.data,
				id: i === events.length - 1 ? (e.id ?? lastId) : e.id
			})
		)
		.join('');
}

/** Serves one feed on `sink`: replay or snapshot in one write, then live events. */
export function serveFeed<T>(
	sink: StreamSink,
	source: FeedSource<T>,
	lastEventId: string | null
): void {
	const { feed } = source;
	const filter = source.filter ?? pass;
	const id = parseEventId(lastEventId);
	const missed = id === null ? null : feed.since(id);
	sink.write(
		missed === null
			? encodeSnapshot(
					source.snapshot().filter(filter),
					feed.seq > 0 ? String(feed.seq) : undefined
				)
			: missed
					.filter(filter)
					.map((e) => encodeEvent(e))
					.join('')
	);
	sink.onClose(
		feed.subscribe((event) => {
			if (filter(event)) sink.send(event);
		})
	);
}

/** A feed carried on the multiplexed stream, under its topic's name. */
export interface TopicSource extends FeedSource<unknown> {
	topic: Topic;
}

/** The event name on the multiplexed stream: `time`, `system`, `stocks:AAPL`. */
export function multiplexEventName(topic: Topic, event: string | undefined): string {
	return event === undefined || event === 'message' ? topic : `${topic}:${event}`;
}

/**
 * Serves several feeds on one stream. The id records each feed's position (`time=12;stocks=40`);
 * a resume replays the feeds it can, merged in the order events happened, and sends the snapshot
 * of the others first.
 */
export function serveMultiplex(
	sink: StreamSink,
	sources: TopicSource[],
	lastEventId: string | null
): void {
	const topics = sources.map((s) => s.topic);
	const resume = parseMultiplexId(lastEventId);
	const positions: Partial<Record<Topic, number>> = {};
	for (const s of sources) positions[s.topic] = s.feed.seq;
	const encode = (topic: Topic, e: SnapshotEvent<unknown>, id?: string) =>
		encodeEvent({ event: multiplexEventName(topic, e.event), data: e.data, id });
	/** Advances `own` through the snapshot; real events carry the positions so far, the last all. */
	const snapshotOf = (
		list: TopicSource[],
		own: Partial<Record<Topic, number>>,
		final: Partial<Record<Topic, number>> = own
	) => {
		const events = list.flatMap((s) =>
			s
				.snapshot()
				.filter(s.filter ?? pass)
				.map((e) => ({ topic: s.topic, e, seq: s.feed.seq }))
		);
		return events
			.map(({ topic, e, seq }, i) => {
				own[topic] = e.id ?? seq;
				if (i === events.length - 1) {
					return encode(topic, e, formatMultiplexId({ ...final, ...own }, topics));
				}
				return encode(topic, e, e.id === undefined ? undefined : formatMultiplexId(own, topics));
			})
			.join('');
	};

	const replays = sources.map((s) => {
		const at = resume[s.topic];
		return { source: s, missed: at === undefined ? null : s.feed.since(at) };
	});
	if (replays.every((r) => r.missed === null)) {
		sink.write(snapshotOf(sources, {}, positions));
	} else {
		const own: Partial<Record<Topic, number>> = { ...resume };
		const stale = replays.filter((r) => r.missed === null).map((r) => r.source);
		for (const s of stale) delete own[s.topic];
		const merged = replays
			.flatMap((r) => (r.missed ?? []).map((e) => ({ source: r.source, e })))
			.sort((a, b) => a.e.order - b.e.order);
		let out = snapshotOf(stale, own);
		for (const s of stale) own[s.topic] ??= s.feed.seq;
		for (const { source, e } of merged) {
			own[source.topic] = e.id;
			if ((source.filter ?? pass)(e))
				out += encode(source.topic, e, formatMultiplexId(own, topics));
		}
		sink.write(out);
	}

	for (const source of sources) {
		const filter = source.filter ?? pass;
		const live = (e: FeedEvent<unknown>) => {
			if (!filter(e)) return;
			positions[source.topic] = e.id;
			sink.write(encode(source.topic, e, formatMultiplexId(positions, topics)));
		};
		sink.onClose(source.feed.subscribe(live));
	}
}
