/**
 * Coalesced fan-out. Events that reach a hub or a multiplexed channel in one turn of the event
 * loop are queued, and one flush at the end of the turn (`setImmediate`; `setTimeout(0)` in a
 * browser) writes them to each client as ONE chunk: the concatenation is made once and shared by
 * every client that gets the same events. A dashboard whose time and system ticks land on the same
 * second then costs one write a second, not two.
 */
import type { Backlog, SseConnection } from './sse/connection';

/** An event ready to fan out: its bytes, encoded once, and its process-wide arrival order. */
export interface Pending {
	bytes: Uint8Array;
	order: number;
}

let arrivals = 0;

/** The next arrival order; orders grow across every hub and channel of the process. */
export function nextOrder(): number {
	return ++arrivals;
}

/** The newest arrival order handed out so far: a client that has everything up to now. */
export function currentOrder(): number {
	return arrivals;
}

/** Something that flushes queued events at the end of the turn. */
interface Flushable {
	flush(): void;
}

const dirty = new Set<Flushable>();
let scheduled = false;

/** Writes every queued batch now, instead of at the end of the turn (tests; shutdown). */
export function flushPending(): void {
	scheduled = false;
	for (const target of [...dirty]) {
		dirty.delete(target);
		target.flush();
	}
}

/** Flushes `target` at the end of this turn of the event loop (once, however often it is asked). */
export function scheduleFlush(target: Flushable): void {
	dirty.add(target);
	if (scheduled) return;
	scheduled = true;
	// Looked up at call time, so fake timers installed by a test are the ones used.
	if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(flushPending);
	else globalThis.setTimeout(flushPending, 0);
}

/**
 * Writes a turn's queued events to a group of clients that all want the same events, as one
 * chunk made once for the group. A client that already has some of them (it joined or finished a
 * replay during the turn) gets only the rest; a replaying client gets them through its replay.
 * Adds what it wrote to `tally`.
 */
export function writeBatch(
	clients: Iterable<SseConnection>,
	queued: readonly Pending[],
	tally: FanOutTally
): void {
	const first = queued[0];
	const last = queued[queued.length - 1];
	if (!first || !last) return;
	let shared: Uint8Array | null = null;
	for (const client of clients) {
		if (client.closed || client.replaying || client.seen >= last.order) continue;
		let chunk: Uint8Array;
		let events = queued.length;
		if (client.seen < first.order) {
			chunk = shared ??= concatBytes(queued.map((p) => p.bytes));
		} else {
			const rest = queued.filter((p) => p.order > client.seen);
			events = rest.length;
			chunk = concatBytes(rest.map((p) => p.bytes));
		}
		client.seen = last.order;
		if (client.write(chunk)) {
			tally.writes++;
			tally.deliveries += events;
			tally.bytes += chunk.byteLength;
		}
	}
}

/** What one flush wrote: writes (one per client per flush), events delivered, and bytes. */
export interface FanOutTally {
	writes: number;
	deliveries: number;
	bytes: number;
}

/** A tally at zero. */
export function emptyTally(): FanOutTally {
	return { writes: 0, deliveries: 0, bytes: 0 };
}

/** The backlog of a client held until its first bytes are known (its buffers are filling). */
export const HOLD: Backlog = { next: () => undefined, done: () => {} };

/**
 * Writes a client's first bytes (its snapshot and history; null for none) and marks it as having
 * every event so far. A client on `HOLD` gets them through its backlog instead.
 */
export function sendFirst(connection: SseConnection, bytes: Uint8Array | null): void {
	if (connection.replaying) {
		let sent = bytes === null;
		connection.replay({
			next: () => (sent ? null : ((sent = true), bytes)),
			done: () => (connection.seen = currentOrder())
		});
		return;
	}
	connection.seen = currentOrder();
	if (bytes) connection.write(bytes);
}

/** Joins byte chunks into one; a single chunk is returned as is, uncopied. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
	if (chunks.length === 1) return chunks[0]!;
	const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}
