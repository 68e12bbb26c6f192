/**
 * The seam between producers and hubs. A producer publishes events to a topic; the bus numbers
 * them and delivers them, in id order, to every subscriber of that topic. In memory (one process)
 * by default; the Redis bus (`server/redis-bus.ts`) implements the same interface so that any
 * number of instances serve one set of feeds.
 */
import type { HealthBus } from '$lib/shared/contract';

/** One event as it travels the bus: numbered by the bus, not yet encoded. */
export interface FeedMessage<T = unknown> {
	/** Strictly increasing within the topic; the SSE id. */
	id: number;
	/** SSE event name; `message` for the unnamed event. */
	event: string;
	data: T;
}

/** The right to run a topic's producer; publishing under a lease that was lost is dropped. */
export interface Lease {
	/** True while this instance holds the lease. */
	readonly held: boolean;
}

/** What `/api/health` and `/metrics` show of the bus. */
export interface BusStatus {
	kind: 'memory' | 'redis';
	/** `down` while the bus cannot be reached; open streams stay open meanwhile. */
	state: 'ok' | 'connecting' | 'down';
	/** Topics whose producer lease this instance holds. */
	leases: string[];
	/** Errors talking to the bus since start. */
	errors: number;
	/** How far behind the newest published event this instance's reading is, in ms (0 in memory). */
	lagMs: number;
}

/** The contract's view of a bus status (`bus` in `/api/health`). */
export function healthBus(status: BusStatus): HealthBus {
	const { kind, state, leases, errors, lagMs } = status;
	return { kind, state, leases, errors, lag_ms: Math.round(lagMs) };
}

/** Publish/subscribe by topic, with ids assigned by the bus. */
export interface FeedBus {
	/**
	 * True when the bus keeps a log that other instances share (`read` and `tail` answer): a hub
	 * then fills its buffer from it on start, and resumes from it an id it does not hold.
	 * Default false (in memory).
	 */
	readonly sharedLog?: boolean;
	/**
	 * Appends an event to `topic`. The bus gives it the topic's next id and delivers it to every
	 * subscriber of the topic, in id order (synchronously, in memory). Under a `lease` that is no
	 * longer held, the event is dropped: a paused ex-leader cannot publish.
	 */
	publish<T>(topic: string, event: string, data: T, lease?: Lease): void;
	/**
	 * Receives every event of `topic` published from now on, in id order (after `afterId` instead,
	 * when given and the shared log still holds it); returns an idempotent unsubscribe.
	 */
	subscribe<T>(
		topic: string,
		listener: (message: FeedMessage<T>) => void,
		afterId?: number
	): () => void;
	/**
	 * Runs `start` while this instance holds `topic`'s producer lease (at once, in memory) and
	 * the stop it returns when the lease is lost. Returns an idempotent release.
	 */
	lead(topic: string, start: (lease: Lease) => () => void): () => void;
	/**
	 * Up to `limit` events of `topic` after `afterId`, oldest first, from the bus's shared log;
	 * null when the log no longer reaches back to `afterId` or keeps none (in memory).
	 */
	read<T>(topic: string, afterId: number, limit: number): Promise<FeedMessage<T>[] | null>;
	/** The newest `count` events of `topic`, oldest first ([] in memory: the hub holds them). */
	tail<T>(topic: string, count: number): Promise<FeedMessage<T>[]>;
	/**
	 * With a shared log: true while some instance runs `topic`'s producer (holds its lease), so the
	 * log's newest events are the feed's current state rather than what it was when everyone left.
	 * Absent: always true.
	 */
	hasProducer?(topic: string): Promise<boolean>;
	/** The bus's state for health and metrics. */
	status(): BusStatus;
	/** Stops reading and releases every lease. */
	close(): Promise<void>;
}

/** Options of the in-memory bus. */
export interface MemoryBusOptions {
	/** Every topic's first id is this plus one, so ids of an earlier process are never ours. Default 0. */
	idStart?: number;
}

const HELD: Lease = { held: true };

/** The in-process bus: one producer per topic by construction, ids counted per topic. */
export function createMemoryBus(options: MemoryBusOptions = {}): FeedBus {
	const topics = new Map<string, Set<(message: FeedMessage) => void>>();
	const lastIds = new Map<string, number>();
	const leading = new Map<string, number>();
	return {
		publish(topic, event, data, lease) {
			if (lease && !lease.held) return;
			const id = (lastIds.get(topic) ?? options.idStart ?? 0) + 1;
			lastIds.set(topic, id);
			const message: FeedMessage = { id, event, data };
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
		},
		lead(topic, start) {
			leading.set(topic, (leading.get(topic) ?? 0) + 1);
			let stop: (() => void) | null = start(HELD);
			return () => {
				if (!stop) return;
				stop();
				stop = null;
				const left = (leading.get(topic) ?? 1) - 1;
				if (left > 0) leading.set(topic, left);
				else leading.delete(topic);
			};
		},
		read: async () => null,
		tail: async () => [],
		status: () => ({
			kind: 'memory',
			state: 'ok',
			leases: [...leading.keys()],
			errors: 0,
			lagMs: 0
		}),
		close: async () => {}
	};
}
