/** Command-line options of `npm run bench`. */

export const USAGE = `Usage: npm run bench -- [options]
  --quick              smaller run: sizes 1000,5000, 3 s windows, slow-consumer test on (a) only
  --sizes=1000,5000    client counts of the multiplexed stream (default 1000,5000,10000 and the
                       machine's ceiling, 19800 here)
  --reps=3             repetitions per size and server (medians are reported; at least 3 advised)
  --servers=a,a-endpoints,b,c,e   which servers: a Live Feeds' direct path (server/index.js),
                       a-endpoints its endpoints path (build/index.js), b naive, c better-sse,
                       e a bare res.write loop
  --naive-max=1000     largest multiplexed size for (b), which collapses beyond it
  --stock-sizes=5000   sizes of the stock-feed-alone scenario (0 = the ceiling; --no-stocks skips)
  --stock-servers=a,c,e   servers of the stock-feed-alone scenario
  --idle-sizes=0       sizes of the idle scenario (0 = the ceiling, 19800 here; --no-idle skips)
  --idle-servers=a,c,e    servers of the idle scenario
  --window=5           measurement window, seconds
  --warmup=2           seconds between the last connect and the window
  --workers=2          load-generator processes
  --slow-servers=a     servers for the slow-consumer test (--no-slow to skip it)
  --cpu-prof           profile (a) with node --cpu-prof into bench/results/tmp/
  --client-url=URL     run the client (dashboard) benchmark against this URL; without it the
                       static demo build (build-demo/, npm run build:demo) is served and opened
                       at --client-path
  --client-path=/?scenario=burst   path and query of the demo in the mock burst scenario
  --no-client          skip the client benchmark
  --no-cluster         skip issue 13's bus and three-instance step (bench/cluster.js, needs redis-server)
  --cluster-connections=51000   idle streams over the three instances of that step
  --budget=26          minutes for the whole run: a scenario or size whose predicted time (from
                       the slowest ramp so far) does not fit is left out, then the slow-consumer
                       test, the profile run and the client half; the report says what was
  --wait-quiet=0       wait up to this many minutes for other processes to leave the CPU idle
  --no-write           print only; do not write bench/results/*.json or BENCHMARKS.md
  --render=FILE        only regenerate BENCHMARKS.md from a results file (bench/results/*.json),
                       with bench/analysis.md when that names the same file
  --help`;

/**
 * @typedef {object} BenchOptions
 * @property {boolean} quick
 * @property {number[] | null} sizes Multiplexed sizes, or null for 1k, 5k, 10k and the ceiling.
 * @property {number} naiveMax Largest multiplexed size for (b).
 * @property {number[]} stockSizes Sizes of the stock-feed-alone scenario (0 = the ceiling).
 * @property {string[]} stockServers
 * @property {number[]} idleSizes Sizes of the idle scenario (0 = the ceiling).
 * @property {string[]} idleServers
 * @property {number} reps
 * @property {string[]} servers
 * @property {number} windowMs
 * @property {number} warmupMs
 * @property {number} workers
 * @property {string[]} slowServers
 * @property {boolean} cpuProf
 * @property {string | null} clientUrl
 * @property {string} clientPath
 * @property {boolean} client
 * @property {boolean} write
 * @property {number} budgetMinutes
 * @property {number} waitQuietMinutes
 * @property {string | null} render A results file to render BENCHMARKS.md from, without measuring.
 * @property {boolean} help
 */

/**
 * Parses `process.argv.slice(2)`; throws on an unknown option.
 * @param {string[]} argv
 * @returns {BenchOptions}
 */
export function parseArgs(argv) {
	/** @type {Map<string, string>} */
	const given = new Map();
	for (const arg of argv) {
		const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
		if (!match || !match[1]) throw new Error(`unknown argument '${arg}'\n${USAGE}`);
		given.set(match[1], match[2] ?? '');
	}
	const known = [
		'quick',
		'sizes',
		'reps',
		'servers',
		'window',
		'warmup',
		'workers',
		'slow-servers',
		'no-slow',
		'cpu-prof',
		'client-url',
		'client-path',
		'no-client',
		'no-cluster',
		'cluster-connections',
		'no-write',
		'naive-max',
		'stock-sizes',
		'stock-servers',
		'no-stocks',
		'idle-sizes',
		'idle-servers',
		'no-idle',
		'wait-quiet',
		'budget',
		'render',
		'help'
	];
	for (const key of given.keys()) {
		if (!known.includes(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
	}
	const quick = given.has('quick');
	const num = (/** @type {string} */ key, /** @type {number} */ fallback, min = 1) => {
		const raw = given.get(key);
		if (raw === undefined) return fallback;
		const value = Number(raw);
		if (!Number.isFinite(value) || value < min) throw new Error(`--${key} wants a number ≥ ${min}`);
		return value;
	};
	const list = (/** @type {string} */ key, /** @type {string} */ fallback) =>
		(given.get(key) ?? fallback).split(',').filter(Boolean);
	const servers = list('servers', 'a,a-endpoints,b,c,e');
	for (const s of servers)
		if (!['a', 'a-endpoints', 'b', 'c', 'e'].includes(s)) throw new Error(`unknown server '${s}'`);
	const sizeList = (/** @type {string} */ key, /** @type {string} */ fallback, min = 1) =>
		list(key, fallback).map((s) => {
			const n = Number(s);
			if (!Number.isInteger(n) || n < min) throw new Error(`bad size '${s}' in --${key}`);
			return n;
		});
	const sizes = given.has('sizes') ? sizeList('sizes', '') : quick ? [1000, 5000] : null;
	return {
		quick,
		sizes,
		reps: Math.round(num('reps', 3)),
		servers,
		windowMs: num('window', quick ? 3 : 5) * 1000,
		warmupMs: num('warmup', quick ? 1 : 2, 0) * 1000,
		workers: Math.round(num('workers', 2)),
		slowServers: given.has('no-slow')
			? []
			: list('slow-servers', 'a').filter((s) => servers.includes(s)),
		cpuProf: given.has('cpu-prof'),
		clientUrl: given.get('client-url') || null,
		clientPath: given.get('client-path') || '/?scenario=burst',
		client: !given.has('no-client'),
		cluster: !given.has('no-cluster'),
		clusterConnections: Math.round(num('cluster-connections', quick ? 3000 : 51_000)),
		write: !given.has('no-write'),
		naiveMax: num('naive-max', 1000),
		stockSizes: given.has('no-stocks') ? [] : sizeList('stock-sizes', quick ? '1000' : '5000', 0),
		stockServers: list('stock-servers', 'a,c,e'),
		idleSizes: given.has('no-idle') ? [] : sizeList('idle-sizes', quick ? '1000' : '0', 0),
		idleServers: list('idle-servers', 'a,c,e'),
		budgetMinutes: num('budget', 26, 0),
		waitQuietMinutes: num('wait-quiet', 0, 0),
		render: given.get('render') || null,
		help: given.has('help')
	};
}
