/**
 * (b) The naive server of the classic SSE tutorials: every connection runs its own intervals,
 * its own `systeminformation` sample and its own stock walk, and writes with `res.write`.
 */
import http from 'node:http';
import {
	SSE_HEADERS,
	handleCommonRoutes,
	listen,
	stockWalk,
	systemSample,
	timePayload,
	topicsOf
} from './feeds.js';

let open = 0;

const server = http.createServer((req, res) => {
	if (handleCommonRoutes(req, res, () => open)) return;
	const topics = topicsOf(req, res);
	if (!topics) return;
	res.writeHead(200, SSE_HEADERS);
	res.write('retry: 2000\n: naive\n\n');
	open++;
	let id = 0;
	let closed = false;
	/** @type {NodeJS.Timeout[]} */
	const timers = [];
	const send = (/** @type {string} */ event, /** @type {unknown} */ data) => {
		if (!closed) res.write(`event: ${event}\nid: ${++id}\ndata: ${JSON.stringify(data)}\n\n`);
	};

	if (topics.has('time')) {
		send('time', timePayload());
		timers.push(setInterval(() => send('time', timePayload()), 1000));
	}
	if (topics.has('system')) {
		const sample = () =>
			systemSample().then(
				(s) => send('system', s),
				() => {}
			);
		sample();
		timers.push(setInterval(sample, 1000));
	}
	if (topics.has('stocks')) {
		const walk = stockWalk();
		for (const quote of walk.snapshot()) send(`stocks:${quote.symbol}`, quote);
		const move = () => {
			const quote = walk.step();
			send(`stocks:${quote.symbol}`, quote);
			timers[timers.length - 1] = setTimeout(move, walk.delayMs());
		};
		timers.push(setTimeout(move, walk.delayMs()));
	}

	req.on('close', () => {
		closed = true;
		open--;
		for (const t of timers) clearTimeout(t);
	});
});

await listen(server);
