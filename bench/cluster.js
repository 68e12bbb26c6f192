/**
 * `node bench/cluster.js`: what Redis costs the feeds (issue 13), in one run, on this machine.
 *
 * 1. Latency the bus adds: events published at a steady rate, timed from `publish` to the
 *    subscriber's callback, p50/p99, through the in-memory bus and through the Redis bus (publisher
 *    and subscriber on separate bus instances, as two servers would be). Target: Redis p99 ≤ 5 ms.
 * 2. Events per second through one Redis: one bus publishes as fast as it can, another receives.
 * 3. Idle connections held by three instances (server/index.js on one Redis): streams of a quiet feed
 *    opened by forked load generators, with RSS per connection.
 *
 * The buses are the product's own code (src/lib/backend/bus.ts, src/lib/server/redis-bus.ts),
 * transpiled here with TypeScript. Everything listens on 127.0.0.1 and is killed by PID.
 *
 *   node bench/cluster.js [--connections=51000] [--rate=500] [--seconds=10] [--burst=50000] [--out=FILE]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { allocatorEnv } from '../server/allocator.js';
import { LoadGenerator } from './lib/loadgen.js';
import {
	freePort,
	killAllChildren,
	readProcStat,
	sleep,
	startServer,
	stopServer,
	trackChild
} from './lib/proc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = `${ROOT}bench/results/tmp/cluster/`;

const given = Object.fromEntries(
	process.argv.slice(2).map((a) => {
		const [key, ...value] = a.replace(/^--/, '').split('=');
		return [key, value.join('=')];
	})
);
const args = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, Number(v)]));
const CONNECTIONS = args.connections || 51_000;
const RATE = args.rate || 500;
const SECONDS = args.seconds || 10;
const BURST = args.burst || 50_000;

process.on('exit', killAllChildren);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
	process.once(signal, () => process.exit(130));
}

/**
 * Transpiles the two bus modules into bench/results/tmp (inside the project, so `redis` resolves).
 * @returns {Promise<{ createMemoryBus: any, createRedisBus: any }>}
 */
async function loadBuses() {
	mkdirSync(TMP, { recursive: true });
	/** @param {string} from @param {string} to */
	const emit = (from, to) => {
		const source = readFileSync(`${ROOT}${from}`, 'utf8');
		const out = ts.transpileModule(source, {
			compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }
		});
		writeFileSync(`${TMP}${to}`, out.outputText);
	};
	emit('src/lib/backend/bus.ts', 'bus.mjs');
	emit('src/lib/server/redis-bus.ts', 'redis-bus.mjs');
	const memory = await import(pathToFileURL(`${TMP}bus.mjs`).href);
	const redis = await import(pathToFileURL(`${TMP}redis-bus.mjs`).href);
	return { createMemoryBus: memory.createMemoryBus, createRedisBus: redis.createRedisBus };
}

/**
 * Starts redis-server on a free port; returns its URL and how to stop it.
 * @returns {Promise<{ url: string, pid: number, stop(): Promise<void> }>}
 */
async function startRedis() {
	const port = await freePort();
	const child = spawn(
		process.env.REDIS_SERVER || '/usr/bin/redis-server',
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
		{ stdio: 'ignore' }
	);
	trackChild(child);
	const exited = new Promise((resolve) => child.once('exit', resolve));
	const net = await import('node:net');
	for (let i = 0; i < 200; i++) {
		const ok = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
			s.once('error', () => resolve(false));
		});
		if (ok) break;
		await sleep(50);
	}
	return {
		url: `redis://127.0.0.1:${port}`,
		pid: child.pid ?? 0,
		async stop() {
			child.kill('SIGKILL');
			await exited;
		}
	};
}

/** @param {number[]} values @param {number} p */
function percentile(values, p) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/** @param {() => boolean} check @param {number} ms */
async function until(check, ms) {
	const deadline = Date.now() + ms;
	while (!check() && Date.now() < deadline) await sleep(10);
	return check();
}

/**
 * Publishes at `RATE` per second for `SECONDS` and times each event to its subscriber.
 * @param {any} publisher @param {any} subscriber
 */
async function latency(publisher, subscriber) {
	const topic = `latency-${Math.random().toString(36).slice(2)}`;
	/** @type {number[]} */
	const ms = [];
	subscriber.subscribe(topic, (/** @type {{ data: { at: number } }} */ m) => {
		ms.push(performance.now() - m.data.at);
	});
	// Let the subscription reach Redis: probe until one arrives, then start counting.
	for (let i = 0; i < 100 && ms.length === 0; i++) {
		publisher.publish(topic, 'probe', { at: performance.now() });
		await until(() => ms.length > 0, 100);
	}
	ms.length = 0;
	const total = RATE * SECONDS;
	const start = performance.now();
	for (let i = 0; i < total; i++) {
		const due = start + (i * 1000) / RATE;
		const wait = due - performance.now();
		if (wait > 1) await sleep(wait);
		publisher.publish(topic, 'tick', { at: performance.now() });
	}
	await until(() => ms.length >= total, 10_000);
	return {
		events: ms.length,
		p50Ms: round(percentile(ms, 50)),
		p99Ms: round(percentile(ms, 99)),
		maxMs: round(Math.max(...ms))
	};
}

/**
 * The same steady rate of plain `PING`s from one node-redis client: what one round trip to Redis
 * costs on this machine, to read the bus's figure against.
 * @param {string} url
 */
async function pingLatency(url) {
	const { createClient } = await import('redis');
	const client = createClient({ url, RESP: 2 });
	await client.connect();
	/** @type {Promise<number>[]} */
	const rtts = [];
	const total = RATE * SECONDS;
	const start = performance.now();
	for (let i = 0; i < total; i++) {
		const wait = start + (i * 1000) / RATE - performance.now();
		if (wait > 1) await sleep(wait);
		const sent = performance.now();
		rtts.push(client.sendCommand(['PING']).then(() => performance.now() - sent));
	}
	const ms = await Promise.all(rtts);
	await client.close();
	return { events: ms.length, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)) };
}

/** Publishes `BURST` events at once through `publisher`; times them all to `subscriber`. */
async function throughput(/** @type {any} */ publisher, /** @type {any} */ subscriber) {
	const topic = `burst-${Math.random().toString(36).slice(2)}`;
	let received = 0;
	subscriber.subscribe(topic, () => received++);
	for (let i = 0; i < 100 && received === 0; i++) {
		publisher.publish(topic, 'probe', i);
		await until(() => received > 0, 100);
	}
	received = 0;
	const start = performance.now();
	const payload = { symbol: 'AAPL', price: 150.25, change: 0.12, epoch_ms: Date.now() };
	// In slices, so the publisher's pipeline never holds the whole burst at once.
	for (let i = 0; i < BURST; i++) {
		publisher.publish(topic, 'AAPL', payload);
		if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
	}
	await until(() => received >= BURST, 60_000);
	const seconds = (performance.now() - start) / 1000;
	return {
		events: received,
		seconds: round(seconds),
		eventsPerSecond: Math.round(received / seconds)
	};
}

/** @param {number | null} n */
function round(n) {
	return n === null ? null : Math.round(n * 1000) / 1000;
}

/** Three instances on `redisUrl`; `CONNECTIONS` quiet streams spread over them. */
async function idleConnections(/** @type {string} */ redisUrl) {
	const perInstance = Math.ceil(CONNECTIONS / 3);
	const env = {
		REDIS_URL: redisUrl,
		MAX_CONNECTIONS: '1000000',
		MAX_CONNECTIONS_PER_CLIENT: '1000000',
		SSE_HEARTBEAT_MS: '15000'
	};
	const servers = [];
	for (let i = 0; i < 3; i++) {
		const port = await freePort();
		servers.push(
			await startServer(
				{
					name: `instance ${i + 1}`,
					entry: `${ROOT}server/index.js`,
					env: { ...allocatorEnv(), ...env }
				},
				{ port, readyTimeoutMs: 60_000 }
			)
		);
	}
	const idleRss = servers.map((s) => readProcStat(s.pid).rssBytes);
	// Two load-generator processes per instance: each stays well under the 20,000 open files.
	const generators = servers.map(() => new LoadGenerator(2));
	try {
		const opened = await Promise.all(
			servers.map((s, i) =>
				generators[i].open({
					port: s.port,
					// AAPL alone: one move every few seconds, the quietest feed.
					path: '/api/feeds/stocks?symbols=AAPL',
					count: perInstance,
					concurrency: 200,
					timeoutMs: 30_000,
					deadlineMs: 240_000
				})
			)
		);
		await sleep(5000);
		const health = await Promise.all(
			servers.map(async (s) => {
				const res = await fetch(`http://127.0.0.1:${s.port}/api/health`);
				return /** @type {{ connections: number }} */ (await res.json());
			})
		);
		const rss = servers.map((s) => readProcStat(s.pid).rssBytes);
		const held = health.map((h) => h.connections);
		const total = held.reduce((a, b) => a + b, 0);
		return {
			target: CONNECTIONS,
			held,
			total,
			failed: opened.map((o) => o.failed),
			errors: opened.map((o) => o.errors),
			rssMb: rss.map((b) => Math.round(b / 1e5) / 10),
			rssPerConnectionKb: servers.map((_, i) =>
				held[i] ? Math.round(((rss[i] - idleRss[i]) / held[i] / 1024) * 10) / 10 : null
			)
		};
	} finally {
		for (const g of generators) {
			await g.closeAll().catch(() => {});
			await g.dispose().catch(() => {});
		}
		for (const s of servers) await stopServer(s);
	}
}

async function main() {
	const { createMemoryBus, createRedisBus } = await loadBuses();
	const redis = await startRedis();
	/** @type {Record<string, unknown>} */
	const result = { date: new Date().toISOString(), rate: RATE, seconds: SECONDS, burst: BURST };
	try {
		const memory = createMemoryBus();
		result.memoryLatency = await latency(memory, memory);
		const options = { url: redis.url, replayEvents: 1000, onError: () => {} };
		const a = createRedisBus(options);
		const b = createRedisBus(options);
		result.redisLatency = await latency(a, b);
		result.pingLatency = await pingLatency(redis.url);
		result.loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
		console.log('latency', result.memoryLatency, result.redisLatency, result.pingLatency);
		// A stream long enough for the whole burst: the reader may fall behind, and a shorter one
		// would be trimmed past what it has not read yet (counted as `skipped`).
		const c = createRedisBus({ ...options, replayEvents: BURST * 2 });
		const d = createRedisBus({ ...options, replayEvents: BURST * 2 });
		result.redisThroughput = { ...(await throughput(c, d)), skipped: d.status().skipped };
		await Promise.all([c.close(), d.close()]);
		console.log('throughput', result.redisThroughput);
		await Promise.all([a.close(), b.close()]);
		result.idle = await idleConnections(redis.url);
		console.log('idle', result.idle);
	} finally {
		await redis.stop();
	}
	// `npm run bench` runs this as its last step with --out and puts the figures in its own results.
	const out = given.out || `${ROOT}bench/results/cluster-${result.date.slice(0, 10)}.json`;
	writeFileSync(out, JSON.stringify(result, null, '\t') + '\n');
	console.log(`\nwritten to ${out}`);
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	}
);
