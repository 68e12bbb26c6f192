/**
 * (e) The one-write-per-delivery floor: a bare `node:http` server with one producer per feed that
 * encodes each event once as a `Buffer` and calls `res.write` once per event per client, with no
 * library, no coalescing and no per-client bookkeeping beyond a Set per topic. Whatever any SSE
 * server spends per delivered event, this is what Node itself charges for one `res.write`.
 */
import http from 'node:http';
import {
	SSE_HEADERS,
	handleCommonRoutes,
	listen,
	onEverySecond,
	sampleEverySecond,
	stockWalk,
	timePayload,
	topicsOf
} from './feeds.js';

/** @typedef {import('node:http').ServerResponse} Res */

/** Clients per topic; `idle` clients get heartbeats only. */
const subscribers = {
	/** @type {Set<Res>} */ time: new Set(),
	/** @type {Set<Res>} */ system: new Set(),
	/** @type {Set<Res>} */ stocks: new Set(),
	/** @type {Set<Res>} */ idle: new Set()
};
/** Stock-feed-alone clients, which get bare symbol names as Live Feeds' `/api/feeds/stocks` does. */
/** @type {Set<Res>} */
const stocksAlone = new Set();
let seq = 0;

/** One event's bytes, encoded once. */
function encode(/** @type {string} */ event, /** @type {unknown} */ data) {
	return Buffer.from(`event: ${event}\nid: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The loop this server exists for: one `res.write` per client for each event. */
function broadcast(/** @type {Set<Res>} */ clients, /** @type {Buffer} */ bytes) {
	for (const res of clients) res.write(bytes);
}

const walk = stockWalk();
/** @type {Awaited<ReturnType<typeof import('./feeds.js').systemSample>> | null} */
let lastSystem = null;

onEverySecond(() => {
	if (subscribers.time.size) broadcast(subscribers.time, encode('time', timePayload()));
});

sampleEverySecond((sample) => {
	lastSystem = sample;
	if (subscribers.system.size) broadcast(subscribers.system, encode('system', sample));
});

function moveStock() {
	const quote = walk.step();
	if (subscribers.stocks.size)
		broadcast(subscribers.stocks, encode(`stocks:${quote.symbol}`, quote));
	if (stocksAlone.size) broadcast(stocksAlone, encode(quote.symbol, quote));
	setTimeout(moveStock, walk.delayMs());
}
setTimeout(moveStock, walk.delayMs());

// One shared heartbeat for every stream, as a comment (clients ignore it).
const PING = Buffer.from(': ping\n\n');
setInterval(() => {
	for (const set of [...Object.values(subscribers), stocksAlone]) broadcast(set, PING);
}, 15_000).unref();

let open = 0;

const server = http.createServer((req, res) => {
	const idle = req.url === '/api/idle';
	if (!idle && handleCommonRoutes(req, res, () => open)) return;
	const topics = idle ? new Set(['idle']) : topicsOf(req, res);
	if (!topics) return;
	const alone = !idle && req.url?.startsWith('/api/feeds/stocks');
	res.writeHead(200, SSE_HEADERS);
	res.write('retry: 2000\n\n');
	open++;
	// The current state at once, as the contract asks.
	if (topics.has('time')) res.write(encode('time', timePayload()));
	if (topics.has('system') && lastSystem) res.write(encode('system', lastSystem));
	if (topics.has('stocks')) {
		for (const quote of walk.snapshot())
			res.write(encode(alone ? quote.symbol : `stocks:${quote.symbol}`, quote));
	}
	/** @type {Set<Res>[]} */
	const joined = alone
		? [stocksAlone]
		: [...topics].map((t) => subscribers[/** @type {keyof typeof subscribers} */ (t)]);
	for (const set of joined) set.add(res);
	res.once('close', () => {
		open--;
		for (const set of joined) set.delete(res);
	});
});

await listen(server);
