/**
 * The mock's streams, with the server's semantics (src/lib/server/hub.ts, feeds/multiplex.ts):
 * a client that can resume gets what it missed; any other gets the current snapshot, in which only
 * the last event carries the feed's position as its id, so ids stay strictly increasing.
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

/** A snapshot entry: an event without an id. */
export interface SnapshotEvent<T> {
	event: string | undefined;
	data: T;
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
	/** The current state, sent to a client that cannot resume. */
	snapshot: () => SnapshotEvent<T>[];
	/** Only events that pass are sent (the stocks symbol filter). */
	filter?: (event: SnapshotEvent<T>) => boolean;
}

const pass = () => true;

function encodeSnapshot<T>(events: SnapshotEvent<T>[], lastId: string | undefined): string {
	return events
		.map((e, i) =>
			encodeEvent({
				event: e.event,
				data: e.data,
				id: i === events.length - 1 ? lastId : undefined
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
	const snapshotOf = (list: TopicSource[], withId: boolean) => {
		const events = list.flatMap((s) =>
			s
				.snapshot()
				.filter(s.filter ?? pass)
				.map((e) => ({ topic: s.topic, e }))
		);
		return events
			.map(({ topic, e }, i) =>
				encode(
					topic,
					e,
					withId && i === events.length - 1 ? formatMultiplexId(positions, topics) : undefined
				)
			)
			.join('');
	};

	const replays = sources.map((s) => {
		const at = resume[s.topic];
		return { source: s, missed: at === undefined ? null : s.feed.since(at) };
	});
	if (replays.every((r) => r.missed === null)) {
		sink.write(snapshotOf(sources, true));
	} else {
		const own: Partial<Record<Topic, number>> = { ...resume };
		const stale = replays.filter((r) => r.missed === null).map((r) => r.source);
		for (const s of stale) own[s.topic] = s.feed.seq;
		const merged = replays
			.flatMap((r) => (r.missed ?? []).map((e) => ({ source: r.source, e })))
			.sort((a, b) => a.e.order - b.e.order);
		let out = snapshotOf(stale, false);
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
