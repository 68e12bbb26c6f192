/** One event of a mock feed, kept in its replay buffer. */
export interface FeedEvent<T> {
	/** The feed's sequence number, sent as the SSE id. */
	id: number;
	/** The SSE event name; `undefined` for the unnamed `message` event. */
	event: string | undefined;
	data: T;
	/** Arrival order across all feeds of a backend, to merge several feeds' replays in time order. */
	order: number;
}

/** What a feed asks of its producer: start on the first listener, stop after the last. */
export interface Producer {
	start(): void;
	stop(): void;
}

/**
 * A live feed with a bounded replay buffer, as the contract describes the server's: one producer
 * serves every listener, runs only while someone listens, and a reconnect can replay what it
 * missed while those events are still buffered. Ids survive producer restarts, so they only grow.
 */
export class ReplayFeed<T> {
	#seq = 0;
	#buffer: FeedEvent<T>[] = [];
	#listeners = new Set<(event: FeedEvent<T>) => void>();
	#producer: Producer | null = null;
	#running = false;
	/** The newest event of each name in the producer's current run (the live part of a snapshot). */
	#latest = new Map<string | undefined, FeedEvent<T>>();

	/**
	 * @param capacity how many events the replay buffer keeps
	 * @param nextOrder hands out the backend-wide arrival order
	 */
	constructor(
		readonly capacity: number,
		private readonly nextOrder: () => number
	) {}

	/** The id of the newest event, 0 before the first. */
	get seq(): number {
		return this.#seq;
	}

	/** Whether the producer is running (someone listens). */
	get running(): boolean {
		return this.#running;
	}

	/** Sets the producer; it is started on the first listener. */
	setProducer(producer: Producer): void {
		this.#producer = producer;
	}

	/** Numbers, buffers and delivers one event. */
	publish(event: string | undefined, data: T): FeedEvent<T> {
		const entry: FeedEvent<T> = { id: ++this.#seq, event, data, order: this.nextOrder() };
		this.#latest.set(event, entry);
		this.#buffer.push(entry);
		if (this.#buffer.length > this.capacity) this.#buffer.shift();
		for (const listener of [...this.#listeners]) listener(entry);
		return entry;
	}

	/** The newest event named `event` sent since the producer last started, if any. */
	latestOf(event: string | undefined): FeedEvent<T> | undefined {
		return this.#running ? this.#latest.get(event) : undefined;
	}

	/** The newest event, if any is buffered. */
	last(): FeedEvent<T> | undefined {
		return this.#buffer.at(-1);
	}

	/**
	 * Every buffered event after `id`, or `null` when `id` cannot be resumed from (newer than
	 * anything sent, or older than the buffer): the caller then sends the current snapshot.
	 */
	since(id: number): FeedEvent<T>[] | null {
		if (id > this.#seq) return null;
		if (id === this.#seq) return [];
		const oldest = this.#buffer[0];
		if (!oldest || id < oldest.id - 1) return null;
		return this.#buffer.filter((e) => e.id > id);
	}

	/** Adds a listener (starting the producer if it is the first); returns its removal. */
	subscribe(listener: (event: FeedEvent<T>) => void): () => void {
		const entry = (event: FeedEvent<T>) => listener(event);
		this.#listeners.add(entry);
		if (!this.#running && this.#producer) {
			this.#running = true;
			this.#latest.clear();
			this.#producer.start();
		}
		return () => {
			if (!this.#listeners.delete(entry)) return;
			if (this.#listeners.size === 0 && this.#running) {
				this.#running = false;
				this.#producer?.stop();
			}
		};
	}
}
