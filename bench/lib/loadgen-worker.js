/**
 * One load-generator process, forked by loadgen.js and driven over IPC. It holds thousands of SSE
 * streams with Node's raw `http` client, parses them with eventsource-parser, and keeps only
 * counters and a millisecond histogram, so one process can hold 10k+ streams.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { LatencyHistogram } from './stats.js';

// No keep-alive pool and no socket cap: each stream is its own connection, opened at once.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/**
 * @typedef {object} Conn
 * @property {import('node:http').ClientRequest} req
 * @property {boolean} slow
 * @property {boolean} closing
 * @property {number} bytes
 */

/** @type {Set<Conn>} */
const conns = new Set();

let measuring = false;
let arrival = 0;
const counters = freshCounters();
let histAll = new LatencyHistogram();
let histStocks = new LatencyHistogram();
let histSystem = new LatencyHistogram();
let histTime = new LatencyHistogram();
let cpuAtReset = process.cpuUsage();
let resetAt = Date.now();

function freshCounters() {
	return {
		events: 0,
		bytes: 0,
		time: 0,
		system: 0,
		stocks: 0,
		ping: 0,
		other: 0,
		badPayload: 0,
		parseErrors: 0,
		/** Streams the server ended while we were measuring (normal clients). */
		droppedNormal: 0,
		/** Slow (never-reading) streams the server ended while we were measuring. */
		droppedSlow: 0
	};
}

/** The parser callbacks, shared by every stream: `arrival` is set just before each `feed`. */
const callbacks = {
	onEvent(/** @type {import('eventsource-parser').EventSourceMessage} */ event) {
		if (!measuring) return;
		counters.events++;
		const name = event.event ?? 'message';
		let hist = null;
		if (name === 'system') {
			counters.system++;
			hist = histSystem;
		} else if (name.startsWith('stocks:')) {
			counters.stocks++;
			hist = histStocks;
		} else if (name === 'time') {
			counters.time++;
		} else if (name === 'ping') {
			counters.ping++;
			return;
		}
		let payload;
		try {
			payload = JSON.parse(event.data);
		} catch {
			if (hist === null && name !== 'time') counters.other++;
			else counters.badPayload++;
			return;
		}
		if (hist === null && name !== 'time') {
			// The stock feed alone names its events by symbol (`AAPL`), not `stocks:AAPL`.
			if (typeof payload?.symbol !== 'string') {
				counters.other++;
				return;
			}
			counters.stocks++;
			hist = histStocks;
		}
		const epochMs = payload?.epoch_ms;
		if (typeof epochMs !== 'number') {
			counters.badPayload++;
			return;
		}
		if (hist) {
			hist.record(arrival - epochMs);
			histAll.record(arrival - epochMs);
		} else {
			// Time payloads are truncated to the second: this is lateness against the second boundary.
			histTime.record(arrival - epochMs);
		}
	},
	onError() {
		counters.parseErrors++;
	}
};

/**
 * Opens one stream; resolves with null when it is open (200 and headers read), or an error code.
 * @param {{host: string, port: number, path: string, slow: boolean, timeoutMs: number}} o
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
		const req = http.request({
			host: o.host,
			port: o.port,
			path: o.path,
			agent,
			headers: { Accept: 'text/event-stream' }
		});
		/** @type {Conn} */
		const conn = { req, slow: o.slow, closing: false, bytes: 0 };
		const timer = setTimeout(() => {
			settle('connect_timeout');
			req.destroy();
		}, o.timeoutMs);
		req.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
			settle(error.code ?? error.message);
			onGone(conn);
		});
		req.on('response', (res) => {
			if (res.statusCode !== 200) {
				settle(`http_${res.statusCode}`);
				res.resume();
				req.destroy();
				return;
			}
			conns.add(conn);
			res.on('close', () => onGone(conn));
			res.on('error', () => onGone(conn));
			if (o.slow) {
				// Never read: stop pulling from the socket, so the kernel buffers fill and the server sees backpressure.
				res.pause();
				res.socket.pause();
			} else {
				res.setEncoding('utf8');
				const parser = createParser(callbacks);
				res.on('data', (/** @type {string} */ chunk) => {
					arrival = Date.now();
					if (measuring) counters.bytes += chunk.length;
					parser.feed(chunk);
				});
			}
			settle(null);
		});
		req.end();
	});
}

/** Counts a stream the server ended (not one we closed) and forgets it. */
function onGone(/** @type {Conn} */ conn) {
	if (!conns.delete(conn)) return;
	if (conn.closing || !measuring) return;
	if (conn.slow) counters.droppedSlow++;
	else counters.droppedNormal++;
}

/**
 * Opens `count` streams with at most `concurrency` connects in flight. Connects not started by
 * `deadlineMs` after the start fail as `ramp_deadline`, so a saturated server cannot stall the run.
 * @param {{host: string, port: number, path: string, count: number, slow: boolean,
 *   concurrency: number, timeoutMs: number, deadlineMs: number}} o
 */
async function openMany(o) {
	const started = Date.now();
	const deadline = started + o.deadlineMs;
	/** @type {Record<string, number>} */
	const errors = {};
	let opened = 0;
	let failed = 0;
	let next = 0;
	const fail = (/** @type {string} */ code, n = 1) => {
		failed += n;
		errors[code] = (errors[code] ?? 0) + n;
	};
	const lane = async () => {
		while (next < o.count) {
			if (Date.now() >= deadline) {
				fail('ramp_deadline', o.count - next);
				next = o.count;
				return;
			}
			next++;
			const error = await openOne(o);
			if (error === null) opened++;
			else fail(error);
		}
	};
	await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, lane));
	return { opened, failed, errors, ms: Date.now() - started };
}

function reset() {
	Object.assign(counters, freshCounters());
	histAll = new LatencyHistogram();
	histStocks = new LatencyHistogram();
	histSystem = new LatencyHistogram();
	histTime = new LatencyHistogram();
	loopDelay.reset();
	cpuAtReset = process.cpuUsage();
	resetAt = Date.now();
	measuring = true;
}

function report() {
	const cpu = process.cpuUsage(cpuAtReset);
	let openNormal = 0;
	let openSlow = 0;
	for (const c of conns) {
		if (c.slow) openSlow++;
		else openNormal++;
	}
	return {
		...counters,
		openNormal,
		openSlow,
		elapsedMs: Date.now() - resetAt,
		cpuSeconds: (cpu.user + cpu.system) / 1e6,
		loopLagP99Ms: loopDelay.percentile(99) / 1e6,
		rssBytes: process.memoryUsage.rss(),
		hist: {
			all: histAll.toSparse(),
			stocks: histStocks.toSparse(),
			system: histSystem.toSparse(),
			time: histTime.toSparse()
		}
	};
}

function closeAll() {
	measuring = false;
	for (const c of conns) {
		c.closing = true;
		c.req.destroy();
	}
	conns.clear();
}

process.on('message', async (/** @type {any} */ message) => {
	let result = {};
	if (message.cmd === 'open') result = await openMany(message.options);
	else if (message.cmd === 'reset') reset();
	else if (message.cmd === 'report') result = report();
	else if (message.cmd === 'stop') measuring = false;
	else if (message.cmd === 'close') closeAll();
	process.send?.({ id: message.id, ...result });
});

// The parent went away: end our streams and exit rather than linger.
process.on('disconnect', () => {
	closeAll();
	process.exit(0);
});
