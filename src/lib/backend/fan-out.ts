/**
 * Coalesced fan-out. Events that reach a hub or a multiplexed channel in one turn of the event
 * loop are queued, and one flush at the end of the turn (`setImmediate`; `setTimeout(0)` in a
 * browser) writes them to each client as ONE chunk: the concatenation is made once and shared by
 * every client that gets the same events. A dashboard whose time and system ticks land on the same
 * second then costs one write a second, not two.
 *
 * A turn makes at most `WRITES_PER_TURN` writes; the rest of the flush goes on in the next turn,
 * after timers and I/O have run. So a fan-out to 10,000 clients never holds the next second's tick
 * or a host reading back for its whole length, and what arrives meanwhile joins the same write
 * for every client not yet written to.
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

/** The most writes one turn of the event loop makes (about 20 ms of them on loopback here). */
export const WRITES_PER_TURN = 1000;

/** Something that flushes queued events at the end of the turn. */
interface Flushable {
	/** Writes what is queued; false when the turn's writes ran out first (it goes on next turn). */
	flush(): boolean;
}

const dirty = new Set<Flushable>();
/** Cancels the flush scheduled for the end of the turn; null when none is. */
let cancelScheduled: (() => void) | null = null;
/** Writes the flush running now may still make. */
let budget = Infinity;

function flushWithin(limit: number): void {
	// A flush by hand does what the scheduled one would have: it would only find nothing left.
	cancelScheduled?.();
	cancelScheduled = null;
	budget = limit;
	try {
		for (const target of [...dirty]) {
			if (budget <= 0) break;
			dirty.delete(target);
			// Behind the others that wait, so that every target's clients get their turn.
			if (!target.flush()) dirty.add(target);
		}
	} finally {
		budget = Infinity;
		if (dirty.size > 0) schedule();
	}
}

/** Writes every queued batch now, whole, instead of at the end of the turn (tests; shutdown). */
export function flushPending(): void {
	flushWithin(Infinity);
}

function schedule(): void {
	if (cancelScheduled) return;
	const run = () => {
		cancelScheduled = null;
		flushWithin(WRITES_PER_TURN);
	};
	// Looked up at call time, so fake timers installed by a test are the ones used.
	if (typeof globalThis.setImmediate === 'function') {
		const handle = globalThis.setImmediate(run);
		cancelScheduled = () => globalThis.clearImmediate(handle);
	} else {
		const handle = globalThis.setTimeout(run, 0);
		cancelScheduled = () => globalThis.clearTimeout(handle);
	}
}

/** Flushes `target` at the end of this turn of the event loop (once, however often it is asked). */
export function scheduleFlush(target: Flushable): void {
	dirty.add(target);
	schedule();
}

/** A flush that went on over several turns: where it stopped, and the newest event it began with. */
interface Pass {
	cursor: Iterator<SseConnection>;
	upTo: number;
}

/** Unfinished passes, by the client set they go over. */
const passes = new WeakMap<Set<SseConnection>, Pass>();

/**
 * Writes queued events to a group of clients that all want the same events, as one chunk made
 * once for the group. A client that already has some of them (it joined or finished a replay
 * during the turn, or was written to before the rest arrived) gets only the rest; a replaying
 * client gets them through its replay. Adds what it wrote to `tally`.
 *
 * Returns false when the turn's writes ran out first: call it again in a later turn with the same
 * set and queue (events may have joined it). It goes on from the client where it stopped, then
 * goes over the clients before it again for what arrived in between.
 */
export function writeBatch(
	clients: Set<SseConnection>,
	queued: readonly Pending[],
	tally: FanOutTally
): boolean {
	const last = queued[queued.length - 1];
	if (!last) return true;
	let pass = passes.get(clients) ?? { cursor: clients.values(), upTo: last.order };
	for (;;) {
		if (!writeFrom(pass.cursor, queued, tally)) {
			passes.set(clients, pass);
			return false;
		}
		if (pass.upTo === last.order) {
			passes.delete(clients);
			return true;
		}
		pass = { cursor: clients.values(), upTo: last.order };
	}
}

/** One pass of `writeBatch` from `cursor` on; false when the turn's writes ran out first. */
function writeFrom(
	cursor: Iterator<SseConnection>,
	queued: readonly Pending[],
	tally: FanOutTally
): boolean {
	const first = queued[0]!;
	const last = queued[queued.length - 1]!;
	let shared: Uint8Array | null = null;
	// Clients that have some of the events mostly have the same ones: one chunk per position.
	let restAfter = -1;
	let rest: Uint8Array | null = null;
	let restEvents = 0;
	while (budget > 0) {
		const next = cursor.next();
		if (next.done) return true;
		const client = next.value;
		if (client.closed || client.replaying || client.seen >= last.order) continue;
		budget--;
		let chunk: Uint8Array;
		let events = queued.length;
		if (client.seen < first.order) {
			chunk = shared ??= concatBytes(queued.map((p) => p.bytes));
		} else {
			if (rest === null || restAfter !== client.seen) {
				const after = client.seen;
				const missing = queued.filter((p) => p.order > after);
				restAfter = after;
				restEvents = missing.length;
				rest = concatBytes(missing.map((p) => p.bytes));
			}
			chunk = rest;
			events = restEvents;
		}
		client.seen = last.order;
		if (client.write(chunk)) {
			tally.writes++;
			tally.deliveries += events;
			tally.bytes += chunk.byteLength;
		}
	}
	return false;
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
