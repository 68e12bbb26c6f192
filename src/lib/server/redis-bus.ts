/**
 * The feed bus on Redis, so that any number of instances serve one set of feeds (issue 13).
 *
 * - Each topic is a Redis Stream `<prefix>stream:<topic>` capped at about `replayEvents`
 *   (`XADD MAXLEN ~`). Its entry ids are `<seq>-0`, where `seq` is the contract's decimal id.
 * - Ids are assigned in Redis by one Lua script that checks the producer's lease, `INCR`s the
 *   topic's sequence and `XADD`s, atomically: every instance sends the same id for the same event,
 *   and ids survive a restart of any instance.
 * - A producer runs under a lease `<prefix>lease:<topic>` (`SET NX PX`, renewed). The publish
 *   script compares the lease's value with the holder's token, so an instance that was paused past
 *   its lease cannot publish any more (fencing).
 * - Each instance reads all its topics with one blocking `XREAD` loop on a connection of its own
 *   and fans out locally.
 * - Redis down: publishes are dropped (they never got an id, so no client sees a gap), reads answer
 *   "not available", the client reconnects with backoff and the loop resumes after the last id it
 *   delivered: nothing invented, nothing twice. Nothing here throws or rejects unhandled.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient, ErrorReply } from 'redis';
import type { BusStatus, FeedBus, FeedMessage, Lease } from '$lib/backend/bus';

/** Options of the Redis bus. */
export interface RedisBusOptions {
	/** `redis://` or `rediss://` URL of the server. */
	url: string;
	/** About how many events each topic's stream keeps (`XADD MAXLEN ~`). @default 1000 */
	replayEvents?: number;
	/** How long a producer lease lasts unless renewed, in ms. @default 3000 */
	leaseMs?: number;
	/** How often leases are renewed and free ones sought, in ms. @default leaseMs / 3 */
	renewMs?: number;
	/** Prefix of every key, so several deployments can share one Redis. @default 'live-feeds:' */
	prefix?: string;
	/** How long one `XREAD` blocks, in ms; a new topic wakes it at once. @default 2000 */
	blockMs?: number;
	/** Longest wait between reconnect attempts, in ms. @default 2000 */
	maxBackoffMs?: number;
	/** Names this instance in lease values (seen with `redis-cli GET`). @default `<hostname>:<pid>` */
	instance?: string;
	/** Told of every error; the bus keeps running. @default logs state changes with console.warn */
	onError?: (error: Error) => void;
	/** Clock for lease deadlines and lag. @default Date.now */
	now?: () => number;
}

/** The Redis bus adds a few figures for metrics to the common status. */
export interface RedisBusStatus extends BusStatus {
	/** Publishes refused by the lease check in Redis (a fenced ex-leader). */
	fenced: number;
	/**
	 * Events this instance never read: the stream was trimmed past them before its XREAD came
	 * (a reader more than about `replayEvents` behind), or Redis lost them.
	 */
	skipped: number;
}

/** A Lua script with its SHA-1, for `EVALSHA`. */
export interface RedisScript {
	text: string;
	sha: string;
}

/** A Lua script ready for `RedisBus.run`. */
export function redisScript(text: string): RedisScript {
	return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/** A bus on Redis as described above. */
export interface RedisBus extends FeedBus {
	/** The common status plus the Redis bus's own figures. */
	status(): RedisBusStatus;
	/** The prefix of every key, and the keys of a topic's stream and producer lease. */
	readonly keys: {
		prefix: string;
		stream(topic: string): string;
		lease(topic: string): string;
	};
	/** Sends one command over the bus's connection; rejects at once while Redis is down. */
	send(args: string[]): Promise<unknown>;
	/** Runs a Lua script (sent in full once after a Redis restart made it forget it). */
	run(script: RedisScript, keys: string[], args: string[]): Promise<unknown>;
	/** The value a fencing script compares for `lease`'s key while this instance holds it, else null. */
	tokenOf(lease: Lease): string | null;
}

/**
 * KEYS: stream, seq, lease. ARGV: token ('' = no lease), maxlen, event, data, floor.
 * Returns the new id, or 0 when the lease is not the caller's. When the sequence is missing (a
 * fresh Redis, or one that lost its data) it starts above the caller's newest known id, the
 * stream's newest id, and otherwise the time in ms, so an id is never reused.
 */
const PUBLISH = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
	local floor = tonumber(ARGV[5])
	local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
	if last then floor = math.max(floor, tonumber(string.match(last[1], '^%d+'))) end
	if floor == 0 then
		local t = redis.call('TIME')
		floor = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	end
	redis.call('SET', KEYS[2], string.format('%.0f', floor))
end
local id = redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%.0f', id) .. '-0',
	'e', ARGV[3], 'd', ARGV[4], 't', string.format('%.0f', ms))
return id
`;

/** KEYS: lease. ARGV: token, ms. 1 when renewed, 0 when the lease is someone else's or gone. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS: lease. ARGV: token. Deletes the lease only if it is still the caller's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const SCRIPTS = {
	publish: redisScript(PUBLISH),
	renew: redisScript(RENEW),
	release: redisScript(RELEASE)
};

type Listener = (message: FeedMessage) => void;

interface TopicReader {
	listeners: Set<Listener>;
	/** Stream id after which to read; null until the loop has looked up the stream's end. */
	cursor: string | null;
	/** Newest id delivered, so nothing is delivered twice. */
	delivered: number;
}

interface Candidate {
	topic: string;
	start: (lease: Lease) => () => void;
	token: string;
	held: boolean;
	/** Local time after which the lease counts as lost even without word from Redis. */
	deadline: number;
	stop: (() => void) | null;
	released: boolean;
	/** True while a renewal or an attempt is under way, so two never overlap. */
	busy: boolean;
	lease: Lease;
}

/** The numeric part of a stream id `<seq>-0`. */
function seqOf(streamId: string): number {
	const dash = streamId.indexOf('-');
	return Number(dash < 0 ? streamId : streamId.slice(0, dash));
}

/**
 * A stream entry as a message, with when Redis added it (`at`) and the id it follows (`after`):
 * the one before unless the entry says otherwise (a job's terminal event skips the ids of the
 * progress events a cancel left out).
 */
type StreamMessage = FeedMessage & { at: number; after: number };

/** One stream entry `[id, [field, value, …]]` as a message, or null when malformed. */
function toMessage(entry: unknown): StreamMessage | null {
	if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1]))
		return null;
	const fields = new Map<string, string>();
	const raw = entry[1] as unknown[];
	for (let i = 0; i + 1 < raw.length; i += 2) fields.set(String(raw[i]), String(raw[i + 1]));
	const event = fields.get('e');
	const data = fields.get('d');
	if (event === undefined || data === undefined) return null;
	const id = seqOf(entry[0]);
	const after = fields.has('p') ? Number(fields.get('p')) : id - 1;
	try {
		return { id, event, data: JSON.parse(data), at: Number(fields.get('t') ?? 0), after };
	} catch {
		return null;
	}
}

/** The message without the stream's own fields. */
function plainMessage<T>({ at: _at, after: _after, ...message }: StreamMessage): FeedMessage<T> {
	return message as FeedMessage<T>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A `FeedBus` on Redis. Returns at once; it connects in the background, and `status()` says when
 * it is `ok`.
 * @example
 * const bus = createRedisBus({ url: 'redis://127.0.0.1:6379', replayEvents: 1000 });
 */
export function createRedisBus(options: RedisBusOptions): RedisBus {
	const replayEvents = Math.max(1, options.replayEvents ?? 1000);
	const leaseMs = options.leaseMs ?? 3000;
	const renewMs = options.renewMs ?? Math.max(10, Math.floor(leaseMs / 3));
	const prefix = options.prefix ?? 'live-feeds:';
	const blockMs = options.blockMs ?? 2000;
	const maxBackoffMs = options.maxBackoffMs ?? 2000;
	const instance = options.instance ?? `${hostname()}:${process.pid}`;
	const now = options.now ?? Date.now;
	const key = {
		stream: (topic: string) => `${prefix}stream:${topic}`,
		seq: (topic: string) => `${prefix}seq:${topic}`,
		lease: (topic: string) => `${prefix}lease:${topic}`
	};

	let closed = false;
	let everReady = false;
	/** True from the first error of an outage until both connections are ready again (for logs). */
	let outage = false;
	let errors = 0;
	let fenced = 0;
	let skipped = 0;
	let lagMs = 0;
	const report =
		options.onError ??
		((error: Error) => {
			// One line per outage, not one per reconnect attempt or failed command.
			if (!outage) console.warn(`[live-feeds] redis bus: ${error.message}`);
		});
	/** When each error reply was last logged: once a minute each, so one bad key cannot fill the log. */
	const replies = new Map<string, number>();
	const fail = (error: unknown) => {
		errors++;
		if (error instanceof ErrorReply) {
			// Redis answered: the connection is fine, so this is no outage (which would mute the
			// log until the next reconnect).
			if (options.onError) return options.onError(error);
			const at = now();
			if ((replies.get(error.message) ?? -Infinity) > at - 60_000) return;
			if (replies.size >= 100) replies.clear();
			replies.set(error.message, at);
			console.warn(`[live-feeds] redis bus: ${error.message}`);
			return;
		}
		report(error instanceof Error ? error : new Error(String(error)));
		outage = true;
	};

	const client = createClient({
		url: options.url,
		// Plain arrays from `sendCommand` (RESP3, the default, answers XREAD with a map).
		RESP: 2,
		// Commands fail at once while disconnected instead of piling up: a publish queued during an
		// outage would reach Redis late, and a lease renewal late is worse than none.
		disableOfflineQueue: true,
		socket: {
			connectTimeout: 2000,
			reconnectStrategy: (retries) =>
				Math.round(
					Math.min(maxBackoffMs, 50 * 2 ** Math.min(retries, 10)) * (0.5 + Math.random() / 2)
				)
		}
	});
	// The blocking XREAD holds its connection; everything else goes over `client`.
	const reader = client.duplicate();
	for (const c of [client, reader]) {
		c.on('error', fail);
		c.on('ready', () => {
			if (client.isReady && reader.isReady) {
				if (outage && everReady && !options.onError) {
					console.warn('[live-feeds] redis bus: connected again');
				}
				everReady = true;
				outage = false;
				// Seek free leases at once rather than at the next renewal.
				for (const candidate of candidates) if (!candidate.held) void tend(candidate);
			}
		});
	}
	client.connect().catch(fail);
	reader.connect().catch(fail);

	async function evalScript(s: RedisScript, keys: string[], args: string[]): Promise<unknown> {
		const tail = [String(keys.length), ...keys, ...args];
		try {
			return await client.sendCommand(['EVALSHA', s.sha, ...tail]);
		} catch (error) {
			// A restarted Redis has forgotten the script: send it once in full.
			if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
			return await client.sendCommand(['EVAL', s.text, ...tail]);
		}
	}

	// ---- reading: one XREAD loop for every topic this instance listens to ----

	const topics = new Map<string, TopicReader>();
	/** How many lease candidates this instance has per topic. */
	const led = new Map<string, number>();
	/** Newest id seen per topic (published or read): the floor of a sequence Redis lost. */
	const newest = new Map<string, number>();
	let readerId: number | null = null;
	let blockedGeneration = 0;
	let generation = 0;
	let idle: (() => void) | null = null;
	reader.on('connect', () => (readerId = null));

	/** Resolves once `topic`'s subscription here (if any) has its cursor, or after `blockMs`. */
	async function subscriptionPlaced(topic: string): Promise<void> {
		for (let waited = 0; waited < blockMs && !closed; waited += 5) {
			const state = topics.get(topic);
			if (!state || state.cursor !== null) return;
			await sleep(5);
		}
	}

	/** True while this instance reads or leads `topic`: the topics whose newest id it keeps. */
	const tracked = (topic: string) => topics.has(topic) || (led.get(topic) ?? 0) > 0;
	const seen = (topic: string, id: number) => {
		if (id > (newest.get(topic) ?? 0) && tracked(topic)) newest.set(topic, id);
	};
	/** Forgets `topic`'s newest id once this instance neither reads nor leads it. */
	const untrack = (topic: string) => {
		if (!tracked(topic)) newest.delete(topic);
	};

	async function readyOrClosed(): Promise<void> {
		while (!closed && !(reader.isReady && client.isReady)) await sleep(25);
	}

	/** Wakes the blocked XREAD so that it picks up a new topic. */
	async function wake(): Promise<void> {
		idle?.();
		const target = generation;
		for (let i = 0; i < 100 && !closed && blockedGeneration === target; i++) {
			if (readerId !== null && client.isReady) {
				const n = await client.sendCommand(['CLIENT', 'UNBLOCK', String(readerId)]).catch(() => 0);
				if (n === 1) return;
			}
			// The XREAD may not have reached Redis yet: try again shortly.
			await sleep(10);
		}
	}

	async function readLoop(): Promise<void> {
		while (!closed) {
			try {
				await readyOrClosed();
				if (closed) return;
				readerId ??= Number(await reader.sendCommand(['CLIENT', 'ID']));
				for (const [topic, state] of topics) {
					if (state.cursor !== null) continue;
					// "From now on": after the stream's newest entry when the subscription reaches Redis.
					const last = (await reader.sendCommand([
						'XREVRANGE',
						key.stream(topic),
						'+',
						'-',
						'COUNT',
						'1'
					])) as unknown[];
					const entry = last[0] as [string] | undefined;
					state.cursor = entry ? entry[0] : '0-0';
					if (entry) state.delivered = Math.max(state.delivered, seqOf(entry[0]));
				}
				const active = [...topics].filter(([, s]) => s.cursor !== null);
				if (active.length === 0) {
					await new Promise<void>((resolve) => (idle = resolve));
					idle = null;
					continue;
				}
				blockedGeneration = ++generation;
				const reply = (await reader.sendCommand([
					'XREAD',
					'COUNT',
					'512',
					'BLOCK',
					String(blockMs),
					'STREAMS',
					...active.map(([topic]) => key.stream(topic)),
					...active.map(([, s]) => s.cursor as string)
				])) as [string, unknown[]][] | null;
				blockedGeneration = 0;
				for (const [streamKey, entries] of reply ?? []) deliver(streamKey, entries);
			} catch (error) {
				blockedGeneration = 0;
				if (closed) return;
				fail(error);
				await sleep(Math.min(maxBackoffMs, 100));
			}
		}
	}

	function deliver(streamKey: string, entries: unknown[]): void {
		const topic = streamKey.slice(prefix.length + 'stream:'.length);
		const state = topics.get(topic);
		if (!state) return;
		for (const entry of entries) {
			const message = toMessage(entry);
			if (!message) continue;
			state.cursor = (entry as [string])[0];
			seen(topic, message.id);
			if (message.id <= state.delivered) continue;
			if (state.delivered > 0 && message.after > state.delivered) {
				skipped += message.after - state.delivered;
			}
			state.delivered = message.id;
			lagMs = Math.max(0, now() - message.at);
			const plain = plainMessage(message);
			for (const listener of state.listeners) {
				try {
					listener(plain);
				} catch (error) {
					console.error('[live-feeds] bus listener failed:', error);
				}
			}
		}
	}

	void readLoop();

	// ---- leases ----

	const candidates = new Set<Candidate>();
	const leaseMargin = Math.min(100, Math.floor(leaseMs / 10));

	function gain(candidate: Candidate, sentAt: number): void {
		candidate.held = true;
		candidate.deadline = sentAt + leaseMs - leaseMargin;
		try {
			candidate.stop = candidate.start(candidate.lease);
		} catch (error) {
			console.error(`[live-feeds] producer of ${candidate.topic} failed to start:`, error);
		}
	}

	function lose(candidate: Candidate): void {
		if (!candidate.held) return;
		candidate.held = false;
		const stop = candidate.stop;
		candidate.stop = null;
		try {
			stop?.();
		} catch (error) {
			console.error(`[live-feeds] producer of ${candidate.topic} failed to stop:`, error);
		}
	}

	async function tend(candidate: Candidate): Promise<void> {
		if (candidate.released || closed || candidate.busy) return;
		candidate.busy = true;
		try {
			await tendOnce(candidate);
		} finally {
			candidate.busy = false;
		}
	}

	async function tendOnce(candidate: Candidate): Promise<void> {
		const sentAt = now();
		if (candidate.held) {
			try {
				const ok = await evalScript(
					SCRIPTS.renew,
					[key.lease(candidate.topic)],
					[candidate.token, String(leaseMs)]
				);
				if (ok === 1) candidate.deadline = sentAt + leaseMs - leaseMargin;
				else lose(candidate);
			} catch (error) {
				fail(error);
				if (now() >= candidate.deadline) lose(candidate);
			}
			return;
		}
		if (!client.isReady) return;
		// A fresh token per holding: nothing from an earlier holding can pass the fence.
		const token = `${instance}:${randomUUID()}`;
		try {
			const reply: unknown = await client.sendCommand([
				'SET',
				key.lease(candidate.topic),
				token,
				'NX',
				'PX',
				String(leaseMs)
			]);
			if (reply !== 'OK') return;
			candidate.token = token;
			// A hub subscribes, then leads: let its subscription reach Redis first, or the events
			// the producer sends as it starts would be published before this instance reads.
			await subscriptionPlaced(candidate.topic);
			if (!candidate.released && !closed) gain(candidate, sentAt);
		} catch (error) {
			fail(error);
		}
	}

	let tending = false;
	const timer = setInterval(() => {
		// A lease past its deadline is lost even while Redis does not answer at all.
		for (const c of candidates) if (c.held && now() >= c.deadline) lose(c);
		if (tending) return;
		tending = true;
		// Candidates in parallel, so one slow answer does not delay another's renewal.
		void Promise.all([...candidates].map((c) => tend(c))).finally(() => (tending = false));
	}, renewMs);
	timer.unref?.();

	const tokens = new WeakMap<Lease, Candidate>();

	async function releaseCandidate(candidate: Candidate): Promise<void> {
		if (candidate.released) return;
		candidate.released = true;
		candidates.delete(candidate);
		if ((led.get(candidate.topic) ?? 0) <= 1) led.delete(candidate.topic);
		else led.set(candidate.topic, led.get(candidate.topic)! - 1);
		untrack(candidate.topic);
		const wasHeld = candidate.held;
		lose(candidate);
		if (!wasHeld || !client.isReady) return;
		// Let another instance take over at its next try rather than after the lease runs out.
		await evalScript(SCRIPTS.release, [key.lease(candidate.topic)], [candidate.token]).catch(fail);
	}

	const bus: RedisBus = {
		// Every instance reads the same streams: a hub fills from them and resumes ids it never saw.
		sharedLog: true,

		publish(topic, event, data, lease) {
			if (closed) return;
			const candidate = lease ? tokens.get(lease) : undefined;
			if (lease && !lease.held) return;
			if (!client.isReady) {
				errors++;
				return;
			}
			let json: string;
			try {
				json = JSON.stringify(data);
			} catch (error) {
				console.error(`[live-feeds] cannot publish to ${topic}:`, error);
				return;
			}
			evalScript(
				SCRIPTS.publish,
				[key.stream(topic), key.seq(topic), key.lease(topic)],
				[candidate?.token ?? '', String(replayEvents), event, json, String(newest.get(topic) ?? 0)]
			).then((id) => {
				if (typeof id === 'number' && id > 0) seen(topic, id);
				else fenced++;
			}, fail);
		},

		subscribe<T>(topic: string, listener: (message: FeedMessage<T>) => void, afterId?: number) {
			const fn = listener as Listener;
			let state = topics.get(topic);
			if (!state) {
				const from = afterId === undefined ? null : Math.max(0, Math.floor(afterId));
				state = {
					listeners: new Set(),
					cursor: from === null ? null : `${from}-0`,
					delivered: from ?? 0
				};
				topics.set(topic, state);
				void wake();
			}
			const mine = state;
			mine.listeners.add(fn);
			return () => {
				mine.listeners.delete(fn);
				// The loop drops the topic from its next XREAD.
				if (mine.listeners.size === 0 && topics.get(topic) === mine) {
					topics.delete(topic);
					untrack(topic);
				}
			};
		},

		lead(topic, start) {
			const candidate: Candidate = {
				topic,
				start,
				token: '',
				held: false,
				deadline: 0,
				stop: null,
				released: false,
				busy: false,
				lease: {
					get held() {
						return candidate.held && !candidate.released && now() < candidate.deadline;
					}
				}
			};
			tokens.set(candidate.lease, candidate);
			candidates.add(candidate);
			led.set(topic, (led.get(topic) ?? 0) + 1);
			void tend(candidate);
			return () => void releaseCandidate(candidate);
		},

		async read<T>(topic: string, afterId: number, limit: number) {
			try {
				const entries = (await client.sendCommand([
					'XRANGE',
					key.stream(topic),
					`${afterId + 1}-0`,
					'+',
					'COUNT',
					String(Math.max(1, limit))
				])) as unknown[];
				const messages = entries.map(toMessage).filter((m) => m !== null);
				if (messages.length === 0) {
					// Nothing after it: fine if `afterId` is the newest id, unknown otherwise.
					const last = (await client.sendCommand(['GET', key.seq(topic)])) as string | null;
					return last !== null && Number(last) === afterId ? [] : null;
				}
				// The log no longer reaches back to the event right after `afterId`.
				if (messages[0]!.id !== afterId + 1) return null;
				for (const m of messages) seen(topic, m.id);
				return messages.map((m) => plainMessage<T>(m));
			} catch (error) {
				fail(error);
				return null;
			}
		},

		async tail<T>(topic: string, count: number) {
			if (count <= 0) return [];
			try {
				const entries = (await client.sendCommand([
					'XREVRANGE',
					key.stream(topic),
					'+',
					'-',
					'COUNT',
					String(count)
				])) as unknown[];
				const messages = entries
					.map(toMessage)
					.filter((m) => m !== null)
					.reverse();
				for (const m of messages) seen(topic, m.id);
				return messages.map((m) => plainMessage<T>(m));
			} catch (error) {
				fail(error);
				return [];
			}
		},

		async hasProducer(topic) {
			try {
				return Number(await client.sendCommand(['EXISTS', key.lease(topic)])) === 1;
			} catch (error) {
				fail(error);
				return false;
			}
		},

		keys: { prefix, stream: key.stream, lease: key.lease },

		async send(args) {
			try {
				return await client.sendCommand(args);
			} catch (error) {
				fail(error);
				throw error;
			}
		},

		async run(s, keys, args) {
			try {
				return await evalScript(s, keys, args);
			} catch (error) {
				fail(error);
				throw error;
			}
		},

		tokenOf(lease) {
			const candidate = tokens.get(lease);
			return candidate && lease.held ? candidate.token : null;
		},

		status() {
			const ready = !closed && client.isReady && reader.isReady;
			const state: BusStatus['state'] = ready ? 'ok' : everReady || closed ? 'down' : 'connecting';
			const leases = [...candidates].filter((c) => c.lease.held).map((c) => c.topic);
			return { kind: 'redis', state, leases: [...new Set(leases)], errors, lagMs, fenced, skipped };
		},

		async close() {
			if (closed) return;
			await Promise.all([...candidates].map((c) => releaseCandidate(c)));
			closed = true;
			clearInterval(timer);
			idle?.();
			reader.destroy();
			if (client.isReady) await client.close().catch(() => client.destroy());
			else client.destroy();
		}
	};
	made.add(bus);
	return bus;
}

/** Every bus `createRedisBus` made. */
const made = new WeakSet<FeedBus>();

/** True for a bus made by `createRedisBus` (its instances can share more than feeds, the jobs too). */
export function isRedisBus(bus: FeedBus | undefined): bus is RedisBus {
	return bus !== undefined && made.has(bus);
}
