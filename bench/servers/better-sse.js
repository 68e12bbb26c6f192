/**
 * (c) `better-sse` channel broadcast on a plain Node http server: one producer per feed, one
 * channel, a session per connection, which is what a Node developer would pick.
 */
import http from 'node:http';
import { createChannel, createSession } from 'better-sse';
import {
	handleCommonRoutes,
	listen,
	onEverySecond,
	sampleEverySecond,
	stockWalk,
	timePayload,
	topicsOf
} from './feeds.js';

/** One channel per topic, so a client gets only the topics it asked for. */
const channels = {
	time: createChannel(),
	system: createChannel(),
	stocks: createChannel()
};
/** The stock feed alone (`/api/feeds/stocks`), named by symbol as Live Feeds names it there. */
const stocksAlone = createChannel();
/** Streams that get heartbeats only (`/api/idle`), for the idle-memory measurement. */
const idle = createChannel();
let seq = 0;
const nextId = () => String(++seq);

const walk = stockWalk();
/** @type {Awaited<ReturnType<typeof import('./feeds.js').systemSample>> | null} */
let lastSystem = null;

onEverySecond(() => channels.time.broadcast(timePayload(), 'time', { eventId: nextId() }));

sampleEverySecond((sample) => {
	lastSystem = sample;
	channels.system.broadcast(sample, 'system', { eventId: nextId() });
});

function moveStock() {
	const quote = walk.step();
	channels.stocks.broadcast(quote, `stocks:${quote.symbol}`, { eventId: nextId() });
	stocksAlone.broadcast(quote, quote.symbol, { eventId: nextId() });
	setTimeout(moveStock, walk.delayMs());
}
setTimeout(moveStock, walk.delayMs());

let open = 0;

const server = http.createServer(async (req, res) => {
	const isIdle = req.url === '/api/idle';
	if (!isIdle && handleCommonRoutes(req, res, () => open)) return;
	const topics = isIdle ? new Set() : topicsOf(req, res);
	if (!topics) return;
	const session = await createSession(req, res, {
		keepAlive: 15_000,
		headers: { 'X-Accel-Buffering': 'no', 'Cache-Control': 'no-cache, no-transform' }
	});
	open++;
	session.once('disconnected', () => open--);
	if (isIdle) {
		idle.register(session);
		return;
	}
	if (req.url?.startsWith('/api/feeds/stocks')) {
		for (const quote of walk.snapshot()) session.push(quote, quote.symbol, nextId());
		stocksAlone.register(session);
		return;
	}
	// The current state at once, as the contract asks.
	if (topics.has('time')) session.push(timePayload(), 'time', nextId());
	if (topics.has('system') && lastSystem) session.push(lastSystem, 'system', nextId());
	if (topics.has('stocks')) {
		for (const quote of walk.snapshot()) session.push(quote, `stocks:${quote.symbol}`, nextId());
	}
	for (const topic of topics)
		channels[/** @type {keyof typeof channels} */ (topic)].register(session);
});

await listen(server);
