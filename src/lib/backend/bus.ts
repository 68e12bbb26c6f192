/**
 * The seam between producers and hubs. A producer publishes numbered messages to a topic; the
 * hub for that topic subscribes and fans them out to its clients. In-memory for now; a shared bus
 * (several server instances serving one set of feeds) implements the same two methods.
 */

/** One event as it travels the bus: already numbered, not yet encoded. */
export interface FeedMessage<T = unknown> {
	/** Strictly increasing within the topic; the SSE id. */
	id: number;
	/** SSE event name; `message` for the unnamed event. */
	event: string;
	data: T;
}

/** Publish/subscribe by topic. */
export interface FeedBus {
	/** Delivers a message to every subscriber of `topic`, synchronously for the in-memory bus. */
	publish<T>(topic: string, message: FeedMessage<T>): void;
	/** Subscribes to a topic; returns an idempotent unsubscribe. */
	subscribe<T>(topic: string, listener: (message: FeedMessage<T>) => void): () => void;
}

/** The in-process bus. */
export function createMemoryBus(): FeedBus {
	const topics = new Map<string, Set<(message: FeedMessage) => void>>();
	return {
		publish(topic, message) {
			for (const listener of topics.get(topic) ?? []) listener(message);
		},
		subscribe<T>(topic: string, listener: (message: FeedMessage<T>) => void) {
			const fn = listener as (message: FeedMessage) => void;
			let set = topics.get(topic);
			if (!set) topics.set(topic, (set = new Set()));
			set.add(fn);
			return () => {
				set.delete(fn);
				if (set.size === 0 && topics.get(topic) === set) topics.delete(topic);
			};
		}
	};
}
