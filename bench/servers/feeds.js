/**
 * Payloads for the two comparison servers, (b) naive and (c) better-sse. They are written the way
 * a Node developer would write them, independent of the product code on purpose (and Node 20 cannot
 * import the product's `.ts` modules without a build step). The shapes match the wire contract.
 */
import os from 'node:os';
import si from 'systeminformation';

/** Standard SSE response headers of the contract. */
export const SSE_HEADERS = {
	'Content-Type': 'text/event-stream; charset=utf-8',
	'Cache-Control': 'no-cache, no-transform',
	'X-Accel-Buffering': 'no',
	Connection: 'keep-alive'
};

/** Default stock symbols and starting prices of the contract. */
export const STOCKS = [
	{ symbol: 'AAPL', price: 150 },
	{ symbol: 'GOOGL', price: 2800 },
	{ symbol: 'MSFT', price: 300 }
];

const TOPICS = new Set(['time', 'system', 'stocks']);

/** Rounds to `decimals` places. */
export const round = (/** @type {number} */ value, decimals = 2) =>
	Math.round(value * 10 ** decimals) / 10 ** decimals;

/** The time payload of the contract, truncated to the whole second. */
export function timePayload(now = Date.now()) {
	const whole = Math.floor(now / 1000) * 1000;
	const iso = new Date(whole).toISOString();
	return { time: iso.slice(11, 19), iso, epoch_ms: whole };
}

/**
 * A random walk over the contract's symbols: every step moves one symbol by uniform(−0.5, 0.5).
 * @returns {{ step: () => {symbol: string, price: number, change: number, epoch_ms: number},
 *   snapshot: () => {symbol: string, price: number, change: number, epoch_ms: number}[],
 *   delayMs: () => number }}
 */
export function stockWalk() {
	const state = STOCKS.map((s) => ({ ...s, change: 0 }));
	return {
		step() {
			const s = /** @type {(typeof state)[number]} */ (
				state[Math.floor(Math.random() * state.length)]
			);
			const next = Math.max(0, round(s.price + Math.random() - 0.5));
			s.change = round(next - s.price);
			s.price = next;
			return { symbol: s.symbol, price: s.price, change: s.change, epoch_ms: Date.now() };
		},
		snapshot: () => state.map((s) => ({ ...s, epoch_ms: Date.now() })),
		delayMs: () => 500 + Math.random() * 1000
	};
}

/** Calls `onTick` on every second boundary, from the next one on. */
export function onEverySecond(/** @type {() => void} */ onTick) {
	const tick = () => {
		onTick();
		setTimeout(tick, 1000 - (Date.now() % 1000));
	};
	setTimeout(tick, 1000 - (Date.now() % 1000));
}

/**
 * One shared producer of host samples: a `systemSample()` every second, handed to `onSample` (a
 * failed reading is skipped).
 * @param {(sample: Awaited<ReturnType<typeof systemSample>>) => void} onSample
 */
export function sampleEverySecond(onSample) {
	setInterval(() => systemSample().then(onSample, () => {}), 1000);
}

/**
 * The default network interface, looked up once in `listen`: `si.networkStats()` without a name
 * spawns a process to find it on every call, which would measure process spawning, not SSE.
 */
let defaultIface = '';

/** One host sample with `systeminformation`, stamped when it is ready to publish. */
export async function systemSample() {
	const [load, mem, net] = await Promise.all([
		si.currentLoad(),
		si.mem(),
		si.networkStats(defaultIface || undefined)
	]);
	const usedMb = (mem.total - mem.available) / 1048576;
	const totalMb = mem.total / 1048576;
	const [one = 0, five = 0, fifteen = 0] = os.loadavg();
	const iface = net[0];
	return {
		cpu_percent: round(load.currentLoad),
		memory_percent: round((usedMb / totalMb) * 100),
		memory_used_mb: round(usedMb),
		memory_total_mb: round(totalMb),
		cpu_cores: load.cpus.map((c) => round(c.load)),
		load_avg: [round(one), round(five), round(fifteen)],
		uptime_s: Math.round(os.uptime()),
		net_rx_bytes_per_s: iface && iface.rx_sec !== null ? Math.round(iface.rx_sec) : null,
		net_tx_bytes_per_s: iface && iface.tx_sec !== null ? Math.round(iface.tx_sec) : null,
		epoch_ms: Date.now()
	};
}

/**
 * The topics of a stream: `?topics=` on the multiplexed stream `/api/feeds`, or the one feed of
 * `/api/feeds/<topic>`; answers 400 and returns null when one is unknown.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @returns {Set<string> | null}
 */
export function topicsOf(req, res) {
	const url = new URL(req.url ?? '/', 'http://localhost');
	const single = /^\/api\/feeds\/([a-z]+)$/.exec(url.pathname)?.[1];
	const raw = single ?? url.searchParams.get('topics') ?? 'time,system,stocks';
	const topics = new Set(raw.split(',').filter(Boolean));
	for (const t of topics) {
		if (!TOPICS.has(t)) {
			res.writeHead(400, { 'Content-Type': 'application/json' });
			res.end('{"error":{"code":"bad_topic","message":"unknown topic"}}');
			return null;
		}
	}
	return topics;
}

/**
 * Answers the routes every benchmarked server shares; returns true when it handled the request.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {() => number} connections
 */
export function handleCommonRoutes(req, res, connections) {
	if (req.url === '/api/health') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(
			JSON.stringify({ status: 'ok', uptime_s: process.uptime(), connections: connections() })
		);
		return true;
	}
	if (!req.url?.startsWith('/api/feeds')) {
		res.writeHead(404, { 'Content-Type': 'application/json' });
		res.end('{"error":{"code":"not_found","message":"not found"}}');
		return true;
	}
	return false;
}

/** Listens on `PORT` and `HOST` like adapter-node and primes systeminformation's baselines. */
export async function listen(/** @type {import('node:http').Server} */ server) {
	defaultIface = await si.networkInterfaceDefault();
	// currentLoad and networkStats need a first call as a baseline; the contract's server primes too.
	await systemSample();
	const port = Number(process.env.PORT ?? 3000);
	const host = process.env.HOST ?? '127.0.0.1';
	// The default accept backlog (511), as adapter-node uses, so all three ramp up alike.
	server.listen({ port, host }, () => console.log(`listening on ${host}:${port}`));
}
