/**
 * A load-generator process for the fault tests and the soak (forked by stream-clients.ts or
 * scripts/soak.js, driven over IPC). Like bench/lib/loadgen-worker.js it holds thousands of SSE
 * streams on Node's raw `http` client and parses them with eventsource-parser, but it keeps, per
 * stream, what the fault tests check: the ids seen (gaps and duplicates, per topic on the
 * multiplexed stream), whether the stream ended with a `retry:`, and whether the server ended it.
 *
 * Commands (`{cmd, id, ...}`, each answered `{id, ...}`):
 * - `open {port, path, count, group, lastEventIds?, paused?, concurrency?, timeoutMs?, headers?}`
 * - `waitEvents {group, count, timeoutMs}`: until every open stream of the group has `count` events
 * - `state {group}`: counters of a group; `lastIds {group}`: each stream's last id
 * - `drop {group}`: destroys the group's sockets (client-side disconnect); `forget {group}`
 * - `cycles {port, paths, count, concurrency, timeoutMs}`: connect, first event, disconnect
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * @typedef {object} Stream
 * @property {string} group
 * @property {import('node:http').ClientRequest} req
 * @property {number} status
 * @property {boolean} ended
 * @property {boolean} byUs
 * @property {number} events
 * @property {number} bytes
 * @property {string} lastId
 * @property {Map<string, number>} positions per topic; '' for a plain feed or a job
 * @property {number} gaps
 * @property {number} dups
 * @property {boolean} lastWasRetry
 * @property {number} resumedAt when the stream first reached the target (`resumeTarget`), or 0
 */

/** @type {Map<string, Stream[]>} */
const groups = new Map();

/** `time=12;stocks=40` → {time: 12, stocks: 40}; `17` → {'': 17}. */
function parseId(/** @type {string} */ id) {
	/** @type {Map<string, number>} */
	const out = new Map();
	if (!id.includes('=')) {
		if (/^\d+$/.test(id)) out.set('', Number(id));
		return out;
	}
	for (const part of id.split(';')) {
		const [topic, value] = part.split('=');
		if (topic && value && /^\d+$/.test(value)) out.set(topic, Number(value));
	}
	return out;
}

/** The topic an event moves: '' on a plain feed, else the multiplexed name's feed. */
function topicOf(/** @type {string | undefined} */ event, /** @type {Map<string, number>} */ ids) {
	if (ids.has('')) return '';
	const name = event ?? 'message';
	return name.split(':')[0] ?? name;
}

/** @type {Map<string, number>} target positions per group (the newest id at reconnect) */
const targets = new Map();

/** Checks one event's id against what the stream had: one more in its own topic, no repeats. */
function track(
	/** @type {Stream} */ s,
	/** @type {import('eventsource-parser').EventSourceMessage} */ m
) {
	s.lastWasRetry = false;
	if (m.event === 'ping') return;
	s.events++;
	if (!m.id) return;
	s.lastId = m.id;
	const ids = parseId(m.id);
	const topic = topicOf(m.event, ids);
	const now = ids.get(topic);
	const before = s.positions.get(topic);
	if (now !== undefined && before !== undefined) {
		if (now <= before) s.dups++;
		else if (now > before + 1) s.gaps += now - before - 1;
	}
	if (now !== undefined && (before === undefined || now > before)) s.positions.set(topic, now);
	const target = targets.get(`${s.group}:${topic}`);
	if (!s.resumedAt && target !== undefined && now !== undefined && now >= target) {
		s.resumedAt = Date.now();
	}
}

/**
 * Opens one stream. Resolves with null once its headers are in (200), or with an error code.
 * @param {{port: number, path: string, group: string, lastEventId?: string, paused?: boolean,
 *   timeoutMs: number, headers?: Record<string, string>}} o
 * @returns {Promise<string | null>}
 */
function openOne(o) {
	return new Promise((resolve) => {
		let settled = false;
		const settle = (/** @type {string | null} */ error) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			resolve(error);
		};
		/** @type {Record<string, string>} */
		const headers = { accept: 'text/event-stream', ...o.headers };
		if (o.lastEventId) headers['last-event-id'] = o.lastEventId;
		const req = http.request({ host: '127.0.0.1', port: o.port, path: o.path, agent, headers });
		/** @type {Stream} */
		const s = {
			group: o.group,
			req,
			status: 0,
			ended: false,
			byUs: false,
			events: 0,
			bytes: 0,
			lastId: o.lastEventId ?? '',
			positions: o.lastEventId ? parseId(o.lastEventId) : new Map(),
			gaps: 0,
			dups: 0,
			lastWasRetry: false,
			resumedAt: 0
		};
		const timer = setTimeout(() => {
			settle('connect_timeout');
			req.destroy();
		}, o.timeoutMs);
		req.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
			s.ended = true;
			settle(error.code ?? error.message);
		});
		req.on('response', (res) => {
			s.status = res.statusCode ?? 0;
			if (s.status !== 200) {
				settle(`http_${s.status}`);
				res.resume();
				return;
			}
			let list = groups.get(o.group);
			if (!list) groups.set(o.group, (list = []));
			list.push(s);
			res.on('close', () => (s.ended = true));
			res.on('error', () => (s.ended = true));
			if (o.paused) {
				// Never read: the kernel's buffers fill and the server sees the stream back up.
				res.pause();
				res.socket.pause();
			} else {
				res.setEncoding('utf8');
				const parser = createParser({
					onEvent: (m) => track(s, m),
					onRetry: () => (s.lastWasRetry = true)
				});
				res.on('data', (/** @type {string} */ chunk) => {
					s.bytes += chunk.length;
					parser.feed(chunk);
				});
			}
			settle(null);
		});
		req.end();
	});
}

/**
 * Runs `count` jobs with at most `concurrency` at once.
 * @param {number} count
 * @param {number} concurrency
 * @param {(i: number) => Promise<string | null>} job
 */
async function pool(count, concurrency, job) {
	/** @type {Record<string, number>} */
	const errors = {};
	let next = 0;
	let failed = 0;
	const started = Date.now();
	await Promise.all(
		Array.from({ length: Math.min(concurrency, count) }, async () => {
			while (next < count) {
				const error = await job(next++);
				if (error) {
					failed++;
					errors[error] = (errors[error] ?? 0) + 1;
				}
			}
		})
	);
	return { opened: count - failed, failed, errors, ms: Date.now() - started };
}

/** Counters of one group. */
function state(/** @type {string} */ group) {
	const list = groups.get(group) ?? [];
	let open = 0;
	let endedByServer = 0;
	let endedWithRetry = 0;
	let events = 0;
	let gaps = 0;
	let dups = 0;
	let resumed = 0;
	let lastResumedAt = 0;
	let bytes = 0;
	for (const s of list) {
		if (!s.ended) open++;
		else if (!s.byUs) {
			endedByServer++;
			if (s.lastWasRetry) endedWithRetry++;
		}
		events += s.events;
		gaps += s.gaps;
		dups += s.dups;
		bytes += s.bytes;
		if (s.resumedAt) {
			resumed++;
			lastResumedAt = Math.max(lastResumedAt, s.resumedAt);
		}
	}
	const minEvents = list.length ? Math.min(...list.map((s) => s.events)) : 0;
	return {
		streams: list.length,
		open,
		endedByServer,
		endedWithRetry,
		events,
		minEvents,
		gaps,
		dups,
		resumed,
		lastResumedAt,
		bytes
	};
}

/** One connect → first event → disconnect cycle. */
function cycle(
	/** @type {number} */ port,
	/** @type {string} */ path,
	/** @type {number} */ timeoutMs
) {
	return new Promise((resolve) => {
		const req = http.request({
			host: '127.0.0.1',
			port,
			path,
			agent,
			headers: { accept: 'text/event-stream' }
		});
		const timer = setTimeout(() => done('timeout'), timeoutMs);
		let settled = false;
		const done = (/** @type {string | null} */ error) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			req.destroy();
			resolve(error);
		};
		req.on('error', (/** @type {NodeJS.ErrnoException} */ e) => done(e.code ?? e.message));
		req.on('response', (res) => {
			if (res.statusCode !== 200) return done(`http_${res.statusCode}`);
			res.setEncoding('utf8');
			let text = '';
			res.on('data', (/** @type {string} */ chunk) => {
				text += chunk;
				if (text.includes('\ndata:') || text.startsWith('data:')) done(null);
			});
			res.on('close', () => done('closed'));
		});
		req.end();
	});
}

/** @param {any} m */
async function handle(m) {
	switch (m.cmd) {
		case 'open': {
			const ids = /** @type {string[] | undefined} */ (m.lastEventIds);
			const count = ids ? ids.length : m.count;
			return pool(count, m.concurrency ?? 200, (i) =>
				openOne({
					port: m.port,
					path: m.path,
					group: m.group,
					lastEventId: ids?.[i],
					paused: m.paused,
					timeoutMs: m.timeoutMs ?? 10_000,
					headers: m.headers
				})
			);
		}
		case 'target':
			for (const [topic, value] of Object.entries(m.positions)) {
				targets.set(`${m.group}:${topic}`, Number(value));
			}
			return {};
		case 'waitEvents': {
			const deadline = Date.now() + (m.timeoutMs ?? 15_000);
			for (;;) {
				const list = groups.get(m.group) ?? [];
				const ok = list.every((s) => s.ended || s.events >= m.count);
				if (ok || Date.now() > deadline) return { ok, ...state(m.group) };
				await new Promise((r) => setTimeout(r, 20));
			}
		}
		case 'state':
			return state(m.group);
		case 'lastIds':
			return { ids: (groups.get(m.group) ?? []).map((s) => s.lastId) };
		case 'drop':
			for (const s of groups.get(m.group) ?? []) {
				s.byUs = !s.ended;
				s.req.destroy();
			}
			return {};
		case 'forget':
			for (const s of groups.get(m.group) ?? []) s.req.destroy();
			groups.delete(m.group);
			return {};
		case 'cycles': {
			const paths = /** @type {string[]} */ (m.paths);
			return pool(m.count, m.concurrency ?? 50, (i) =>
				cycle(m.port, paths[i % paths.length] ?? '/', m.timeoutMs ?? 10_000).then(
					(e) => /** @type {string | null} */ (e)
				)
			);
		}
		default:
			throw new Error(`unknown command ${m.cmd}`);
	}
}

process.on('message', (/** @type {any} */ m) => {
	handle(m).then(
		(reply) => process.send?.({ id: m.id, ...reply }),
		(error) => process.send?.({ id: m.id, error: String(error) })
	);
});
process.on('disconnect', () => process.exit(0));
