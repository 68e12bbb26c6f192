/**
 * Training jobs on Redis, so that every instance lists, watches and cancels the same jobs
 * (issue 13).
 *
 * - A job is a hash `<prefix>job:<id>` (options, creation time, state, newest id, progress so far,
 *   terminal event), listed in the sorted set `<prefix>jobs` and, while it runs, in the set
 *   `<prefix>jobs:running`, whose size is the cluster-wide `MAX_TRAINING_JOBS` cap (checked and
 *   added to in one script).
 * - Its events are the bus topic `training:<id>`: a Redis Stream whose entry ids are the events'
 *   SSE ids, read by each instance's one `XREAD` loop and fanned out by a local `JobEvents`.
 * - The job runs under the bus's fenced lease on that topic. Every instance is a candidate for
 *   every running job, so when the runner dies another takes the lease and goes on from the last
 *   event in Redis. Each event is appended by a script that checks the lease, the state and that
 *   the id is the one after the newest, so no event is lost, sent twice or sent by a paused
 *   ex-runner. A runner that cannot reach Redis tries the same append again until its lease runs
 *   out; whoever holds the lease next goes on from what Redis has.
 * - Times are on Redis's clock (`TIME`, measured each scan), so a job's `duration_ms` is right
 *   even when it was made on one host and finished on another.
 * - A cancel from any instance appends the `cancelled` event in one script; the runner's next
 *   append finds the job finished and stops. A finished job's keys expire after `TRAINING_TTL_MS`.
 * - A job whose hash is gone (Redis lost its data) is dropped everywhere: its cap slot is freed,
 *   and streams watching it are closed, so their clients reconnect and get `404`.
 *
 * The scripts name job keys they build from the prefix, so this needs one Redis, not a Redis
 * Cluster (as the bus does).
 */
import type { TrainingJobInfo, TrainingOptions, TrainingState } from '$lib/shared/contract';
import { apiFailure, type ApiFailure } from '$lib/shared/errors';
import { trainingPlan, type TrainingPlan } from '$lib/shared/training';
import type { Lease } from '$lib/backend/bus';
import type { Clock, TimerHandle } from '$lib/backend/timers';
import {
	cancelledEvent,
	JobEvents,
	jobInfo,
	lastProgress,
	tooManyJobs,
	type JobEvent,
	type JobLimits,
	type TrainingJobs
} from '$lib/backend/training/jobs';
import { ErrorReply } from 'redis';
import { redisScript, type RedisBus } from './redis-bus';

/** Options of the Redis job store. */
export interface RedisJobsOptions {
	/** The Redis bus the feeds use: its connection, its read loop and its leases. */
	bus: RedisBus;
	limits: JobLimits;
	clock: Clock;
	/** How often running jobs are sought (to take over one whose runner died) and idle ones dropped. @default 1000 */
	scanMs?: number;
	/** How long a runner waits before trying an append again while Redis does not answer. @default 250 */
	retryMs?: number;
	/** Makes job ids. @default a random UUID without dashes */
	newId?: () => string;
}

/** Appends one event; the shared tail of APPEND and CANCEL. */
const APPEND_EVENT = `
local function append(meta, stream, running, id, event, data, maxlen, ttl, job)
	local t = redis.call('TIME')
	local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	-- 'p': the id this event follows (a cancel's terminal id skips the progress it left out).
	local previous = redis.call('HGET', meta, 'seq') or '0'
	redis.call('XADD', stream, 'MAXLEN', '~', maxlen, id .. '-0', 'e', event, 'd', data, 't', ms,
		'p', previous)
	if event == 'progress' then
		redis.call('HSET', meta, 'seq', id, 'progressed', id)
	else
		redis.call('HSET', meta, 'seq', id, 'state', event, 'terminal', data)
		redis.call('SREM', running, job)
		redis.call('PEXPIRE', meta, ttl)
		redis.call('PEXPIRE', stream, ttl)
	end
	return 1
end
`;

/**
 * KEYS: running, index, meta. ARGV: max, id, options, created, job key prefix.
 * 1 when created, 0 at the cap (after dropping running entries whose job is gone), -1 on an id clash.
 */
const CREATE = redisScript(`
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then
	for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
		if redis.call('EXISTS', ARGV[5] .. id) == 0 then redis.call('SREM', KEYS[1], id) end
	end
	if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[3], 'options', ARGV[3], 'created', ARGV[4], 'state', 'running',
	'seq', 0, 'progressed', 0)
return 1
`);

/**
 * The runner's append. KEYS: meta, stream, lease, running. ARGV: token, id, event, data, maxlen,
 * ttl, job id. 1 appended; 0 the lease is not the caller's; -1 the job has finished (or is gone);
 * -2 the id is not the one after the newest (the caller reads where the job stands again); -3 the
 * hash has no newest id (unusable: the caller drops the job).
 */
const APPEND = redisScript(`${APPEND_EVENT}
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return -1 end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not seq then return -3 end
if tonumber(ARGV[2]) ~= seq + 1 then return -2 end
return append(KEYS[1], KEYS[2], KEYS[4], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`);

/** KEYS: meta, stream, running. ARGV: id, data, maxlen, ttl, job id. 1 cancelled, 0 not running. */
const CANCEL = redisScript(`${APPEND_EVENT}
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
return append(KEYS[1], KEYS[2], KEYS[3], ARGV[1], 'cancelled', ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`);

/**
 * Every kept job's fields, in one round trip, dropping index entries whose hash has expired.
 * KEYS: index. ARGV: job key prefix, '1' for the fields (else it only drops). Flat reply: id,
 * fields, id, fields… Costs one pass over the index in Redis: the kept jobs are those of the last
 * TTL.
 */
const LIST = redisScript(`
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	if ARGV[2] == '1' then
		local fields = redis.call('HGETALL', ARGV[1] .. id)
		if #fields == 0 then redis.call('ZREM', KEYS[1], id)
		else table.insert(out, id); table.insert(out, fields) end
	elseif redis.call('EXISTS', ARGV[1] .. id) == 0 then
		redis.call('ZREM', KEYS[1], id)
	end
end
return out
`);

/** A job's stream keeps at least this many entries: more than an instance reads in one go. */
const STREAM_KEEPS = 10_000;

/** A job as its hash holds it. */
interface JobMeta {
	id: string;
	/** Made from the job's options. */
	plan: TrainingPlan;
	createdAt: number;
	state: TrainingState;
	progressed: number;
	terminal: JobEvent | null;
}

/** `HGETALL`'s flat reply as a job, or null when the hash is gone or malformed. */
function toMeta(id: string, reply: unknown): JobMeta | null {
	if (!Array.isArray(reply) || reply.length === 0) return null;
	const fields = new Map<string, string>();
	for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
	try {
		const options = JSON.parse(fields.get('options') ?? '') as TrainingOptions;
		const state = fields.get('state') as TrainingState;
		const createdAt = Number(fields.get('created'));
		const progressed = Number(fields.get('progressed') ?? 0);
		if (!['running', 'complete', 'cancelled'].includes(state) || !Number.isFinite(createdAt)) {
			return null;
		}
		const plan = trainingPlan(options);
		const terminal: JobEvent | null =
			state === 'running'
				? null
				: {
						id: plan.progressCount + 1,
						event: state as 'complete' | 'cancelled',
						data: JSON.parse(fields.get('terminal') ?? 'null')
					};
		return { id, plan, createdAt, state, progressed, terminal };
	} catch {
		return null;
	}
}

/** The job's entry in `GET /api/training`. */
function infoOf(meta: JobMeta): TrainingJobInfo {
	return jobInfo(meta.id, meta.state, meta.createdAt, lastProgress(meta.plan, meta.progressed));
}

const unavailable = (): ApiFailure =>
	apiFailure(503, 'bus_unavailable', 'the training job store cannot be reached right now', {
		'retry-after': '2'
	});

/** A watched job on this instance: its events and its subscription to them. */
interface Mirror {
	job: JobEvents;
	unsubscribe: () => void;
	/** True when the last scan found nobody watching; the next one drops it. */
	idle: boolean;
}

/** The job store on Redis described above, for the backend of every instance on that Redis. */
export function createRedisJobs(options: RedisJobsOptions): TrainingJobs {
	const { bus, limits, clock } = options;
	const retryMs = options.retryMs ?? 250;
	const newId = options.newId ?? (() => crypto.randomUUID().replaceAll('-', ''));
	const slowFactor = () => limits.slowFactor?.() ?? 1;
	const prefix = bus.keys.prefix;
	const key = {
		job: (id: string) => `${prefix}job:${id}`,
		index: `${prefix}jobs`,
		running: `${prefix}jobs:running`,
		topic: (id: string) => `training:${id}`
	};
	const maxlen = String(STREAM_KEEPS);
	const ttl = String(limits.ttlMs);
	const mirrors = new Map<string, Mirror>();
	/** Running jobs this instance is a candidate to run: the release of each lease candidacy. */
	const candidacies = new Map<string, () => void>();
	let counts: Record<TrainingState, number> = { running: 0, complete: 0, cancelled: 0 };
	let disposed = false;
	let scans = 0;

	// ---- Redis's clock: local time plus the offset of the quickest recent TIME round trip ----

	const clockSamples: { rtt: number; offset: number }[] = [];
	let offset = 0;
	const redisNow = () => clock.now() + offset;

	async function sampleClock(): Promise<void> {
		const sent = clock.now();
		const [seconds, micros] = ((await bus.send(['TIME'])) as string[]).map(Number);
		const got = clock.now();
		const redisMs = seconds! * 1000 + Math.floor(micros! / 1000);
		clockSamples.push({ rtt: got - sent, offset: redisMs - (sent + got) / 2 });
		if (clockSamples.length > 10) clockSamples.shift();
		offset = clockSamples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
	}

	/** Redis's time now, read from Redis first if no scan has read its clock yet. */
	async function redisTime(): Promise<number> {
		if (clockSamples.length === 0) await sampleClock();
		return Math.round(redisNow());
	}

	async function readMeta(id: string): Promise<JobMeta | null> {
		return toMeta(id, await bus.send(['HGETALL', key.job(id)]));
	}

	/** The local view of a job, made from its hash and kept up to date from its stream. */
	function mirror(meta: JobMeta): JobEvents {
		const known = mirrors.get(meta.id);
		if (known) {
			known.idle = false;
			return known.job;
		}
		const job = new JobEvents(meta.id, meta.plan, meta.createdAt, limits.onSent);
		job.restore(meta.progressed, meta.terminal);
		const entry: Mirror = { job, unsubscribe: () => {}, idle: false };
		if (job.state === 'running') {
			// From the newest event the hash knew: the stream holds everything after it.
			entry.unsubscribe = bus.subscribe<unknown>(
				key.topic(meta.id),
				(message) => {
					job.apply({
						id: message.id,
						event: message.event as JobEvent['event'],
						data: message.data
					});
					if (job.state !== 'running') entry.unsubscribe();
				},
				job.seq
			);
		}
		mirrors.set(meta.id, entry);
		return job;
	}

	function forgetMirror(id: string): void {
		const entry = mirrors.get(id);
		if (!entry) return;
		mirrors.delete(id);
		entry.unsubscribe();
	}

	/**
	 * Brings a running mirror of a job no longer in the running set up to date with its hash: the
	 * terminal event if its stream has not brought it, or, when the hash is gone, the end of every
	 * stream watching it.
	 */
	async function reconcile(id: string, entry: Mirror): Promise<void> {
		let meta: JobMeta | null;
		try {
			meta = await readMeta(id);
		} catch {
			return;
		}
		if (mirrors.get(id) !== entry || entry.job.state !== 'running') return;
		if (meta === null) {
			entry.job.closeAll('end');
			forgetMirror(id);
			return;
		}
		// Progress first (`apply` sends the events between from the plan), then the end.
		if (meta.progressed > entry.job.seq) {
			const last = meta.progressed;
			entry.job.apply({ id: last, event: 'progress', data: meta.plan.progressAt(last) });
		}
		if (meta.terminal) entry.job.apply(meta.terminal);
	}

	/** Becomes a candidate to run job `id`: whoever holds its lease runs it. */
	function standFor(id: string): void {
		if (disposed || candidacies.has(id)) return;
		candidacies.set(
			id,
			bus.lead(key.topic(id), (lease) => run(id, lease))
		);
	}

	function withdraw(id: string): void {
		candidacies.get(id)?.();
		candidacies.delete(id);
	}

	/** Frees the cap slot and the index entry of a job whose hash is gone or unreadable. */
	async function drop(id: string): Promise<void> {
		withdraw(id);
		// Streams here end now; other instances' end when the hash expires (`reconcile`).
		mirrors.get(id)?.job.closeAll('end');
		forgetMirror(id);
		await bus
			.send(['SREM', key.running, id])
			.then(() => bus.send(['ZREM', key.index, id]))
			// An unreadable hash is kept for a look, then goes as a finished job's would.
			.then(() => bus.send(['PEXPIRE', key.job(id), ttl]))
			.then(() => bus.send(['PEXPIRE', bus.keys.stream(key.topic(id)), ttl]))
			.catch(() => 0);
	}

	/**
	 * Runs job `id` under `lease` from the newest event in Redis: waits each event's delay, appends
	 * it, and goes on until the terminal event, a cancel, or the loss of the lease.
	 */
	function run(id: string, lease: Lease): () => void {
		let stopped = false;
		let timer: TimerHandle | null = null;
		let view: JobEvents | null = null;
		const later = (fn: () => void, ms: number) => {
			if (!stopped) timer = clock.timeout(fn, ms);
		};

		const resume = async (): Promise<void> => {
			if (stopped) return;
			let meta: JobMeta | null;
			try {
				meta = await readMeta(id);
			} catch {
				return later(() => void resume(), retryMs);
			}
			if (stopped) return;
			if (!meta) return void drop(id);
			if (meta.state !== 'running') return withdraw(id);
			view = new JobEvents(id, meta.plan, meta.createdAt);
			view.restore(meta.progressed, null);
			later(step, view.delayToNext(slowFactor()));
		};

		const append = async (event: JobEvent): Promise<void> => {
			const token = bus.tokenOf(lease);
			if (stopped || token === null) return;
			let result: unknown;
			try {
				result = await bus.run(
					APPEND,
					[key.job(id), bus.keys.stream(key.topic(id)), bus.keys.lease(key.topic(id)), key.running],
					[token, String(event.id), event.event, JSON.stringify(event.data), maxlen, ttl, id]
				);
			} catch (error) {
				// The script failed in Redis (a job hash it cannot use): no retry can succeed.
				if (error instanceof ErrorReply && error.message.startsWith('ERR')) return void drop(id);
				// Whether or not it reached Redis, the same event again is safe: -2 if it did. This
				// goes on until the lease runs out (`tokenOf` is then null).
				return later(() => void append(event), retryMs);
			}
			if (stopped || !view) return;
			if (result === 1) {
				view.apply(event);
				if (view.state === 'running') later(step, view.delayToNext(slowFactor()));
				else withdraw(id);
			} else if (result === -2) {
				await resume();
			} else if (result === -1) {
				withdraw(id);
			} else if (result === -3) {
				await drop(id);
			}
			// 0: the lease is someone else's now; the bus stops this run.
		};

		const step = () => {
			timer = null;
			if (view) void append(view.nextEvent(redisNow()));
		};

		void resume();
		return () => {
			stopped = true;
			clock.clear(timer);
		};
	}

	/**
	 * Stands for every running job and withdraws from finished ones, reconciles mirrors of jobs
	 * that left the running set, drops idle mirrors, and now and then the index's expired entries.
	 */
	async function scan(): Promise<void> {
		let running: string[];
		try {
			await sampleClock();
			running = ((await bus.send(['SMEMBERS', key.running])) as string[]).map(String);
		} catch {
			return;
		}
		if (disposed) return;
		const live = new Set(running);
		for (const id of running) standFor(id);
		for (const id of [...candidacies.keys()]) if (!live.has(id)) withdraw(id);
		for (const [id, entry] of mirrors) {
			if (entry.job.state === 'running' && !live.has(id)) void reconcile(id, entry);
			if (entry.job.watchers > 0) entry.idle = false;
			else if (entry.idle || entry.job.state !== 'running') forgetMirror(id);
			else entry.idle = true;
		}
		if (scans++ % 10 === 0) {
			await bus.run(LIST, [key.index], [key.job(''), '0']).catch(() => null);
		}
	}

	const scanner = clock.interval(() => void scan(), options.scanMs ?? 1000);
	void scan();

	async function list(): Promise<JobMeta[]> {
		const reply = (await bus.run(LIST, [key.index], [key.job(''), '1'])) as unknown[];
		const metas: JobMeta[] = [];
		for (let i = 0; i + 1 < reply.length; i += 2) {
			const meta = toMeta(String(reply[i]), reply[i + 1]);
			if (meta) metas.push(meta);
		}
		return metas;
	}

	return {
		async create(trainingOptions) {
			const id = newId();
			const plan = trainingPlan(trainingOptions);
			let createdAt: number;
			let result: unknown;
			try {
				createdAt = await redisTime();
				result = await bus.run(
					CREATE,
					[key.running, key.index, key.job(id)],
					[
						String(limits.maxRunning),
						id,
						JSON.stringify(plan.options),
						String(createdAt),
						key.job('')
					]
				);
			} catch {
				return unavailable();
			}
			if (result === 0) return tooManyJobs(limits.maxRunning);
			if (result !== 1) return apiFailure(500, 'internal', 'internal server error');
			const job = mirror({
				id,
				plan,
				createdAt,
				state: 'running',
				progressed: 0,
				terminal: null
			});
			standFor(id);
			return job;
		},

		async get(id) {
			const known = mirrors.get(id);
			if (known) {
				known.idle = false;
				return known.job;
			}
			let meta: JobMeta | null;
			try {
				meta = await readMeta(id);
			} catch {
				return unavailable();
			}
			return meta ? mirror(meta) : undefined;
		},

		async list(): Promise<TrainingJobInfo[] | ApiFailure> {
			try {
				return (await list()).map(infoOf);
			} catch {
				return unavailable();
			}
		},

		async cancel(id) {
			let meta: JobMeta | null;
			try {
				meta = await readMeta(id);
				if (!meta) return undefined;
				if (meta.state !== 'running') return 'finished';
				const event = cancelledEvent(meta.plan, meta.createdAt, await redisTime());
				const done = await bus.run(
					CANCEL,
					[key.job(id), bus.keys.stream(key.topic(id)), key.running],
					[String(event.id), JSON.stringify(event.data), maxlen, ttl, id]
				);
				if (done !== 1) return 'finished';
				meta = (await readMeta(id)) ?? { ...meta, state: 'cancelled' };
			} catch {
				return unavailable();
			}
			withdraw(id);
			return infoOf(meta);
		},

		async countByState() {
			try {
				const next: Record<TrainingState, number> = { running: 0, complete: 0, cancelled: 0 };
				for (const meta of await list()) next[meta.state]++;
				counts = next;
			} catch {
				// Redis is down: the last counts stand.
			}
			return counts;
		},

		dispose() {
			disposed = true;
			clock.clear(scanner);
			for (const id of [...candidacies.keys()]) withdraw(id);
			for (const [id, entry] of mirrors) {
				entry.job.closeAll('shutdown');
				forgetMirror(id);
			}
		}
	};
}
