/**
 * Fills RELIABILITY.md's real-socket section (between `<!-- sockets:start -->` and
 * `<!-- sockets:end -->`) from the figures the fault suites and the soak write to
 * tests/integration/faults/results/*.json. Creates RELIABILITY.md with just that section if it
 * does not exist. Run: `node scripts/reliability-sockets.js` after `npx vitest run
 * tests/integration/faults` (and `npm run soak` for the long run).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = `${ROOT}tests/integration/faults/results/`;
const FILE = `${ROOT}RELIABILITY.md`;
const START = '<!-- sockets:start -->';
const END = '<!-- sockets:end -->';

/** The figures of one suite (key → figures), or {} when it has not run. */
function load(/** @type {string} */ name) {
	const file = `${RESULTS}${name}.json`;
	return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/** A Markdown table. */
function table(/** @type {string[]} */ head, /** @type {unknown[][]} */ rows) {
	if (rows.length === 0) return '_Not measured yet._\n';
	const line = (/** @type {unknown[]} */ cells) => `| ${cells.map(String).join(' | ')} |`;
	return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

const int = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');
const mb = (/** @type {number} */ n) => (n / 1e6).toFixed(2);
const fixed = (/** @type {number} */ n, digits = 1) => Number(n).toFixed(digits);
const dates = new Set();
const rowsOf = (/** @type {Record<string, any>} */ suite) =>
	Object.entries(suite).map(([key, f]) => {
		if (f?.measured_at) dates.add(f.measured_at.slice(0, 10));
		return /** @type {[string, any]} */ ([key, f]);
	});

const stall = table(
	[
		'server',
		"client's receive buffer",
		'job events behind',
		'ended as',
		'dropped after (ms)',
		'bytes the kernel held for it',
		'healthy clients: gaps / dups'
	],
	rowsOf(load('stall')).map(([, f]) => [
		f.server,
		f.so_rcvbuf_requested
			? `SO_RCVBUF ${f.so_rcvbuf_requested} (kernel: ${f.so_rcvbuf_effective})`
			: `default (${f.so_rcvbuf_effective})`,
		int(f.replay_events_behind),
		f.reason,
		int(f.drop_ms_after_client_stopped_reading),
		`${int(f.bytes_held_by_kernel_for_client)} (${mb(f.bytes_held_by_kernel_for_client)} MB)`,
		`${f.healthy_gaps} / ${f.healthy_dups} (${f.healthy_clients} clients)`
	])
);
const caps = table(
	['server', 'case', 'figures'],
	rowsOf(load('caps')).map(([key, f]) => {
		const { server, measured_at: _m, host: _h, body, ...rest } = f;
		const extra = body ? `; body \`${JSON.stringify(body)}\`` : '';
		return [
			server,
			key.split(': ')[1],
			Object.entries(rest)
				.map(([k, v]) => `${k} ${v}`)
				.join(', ') + extra
		];
	})
);
const reset = table(
	[
		'server',
		'resets mid-replay (job + multiplexed)',
		'bytes read before the reset',
		'streams before → after',
		'timers before → after',
		'all cleaned up after (ms)',
		'stack traces'
	],
	rowsOf(load('reset')).map(([, f]) => [
		f.server,
		`${f.job_replay_resets} + ${f.multiplex_replay_resets} (job ${int(f.job_events_behind)} events behind)`,
		f.bytes_read_before_reset.map(int).join(', '),
		`${f.connections_before} → ${f.connections_after}`,
		`${f.timers_before} → ${f.timers_after}`,
		int(f.ms_until_all_cleaned_up),
		f.stack_traces_in_log
	])
);
const storm = table(
	[
		'server',
		'clients',
		'ticks missed',
		'all reconnected (ms)',
		'all resumed (ms)',
		'gaps',
		'duplicates',
		'replays served',
		'dropped'
	],
	rowsOf(load('storm')).map(([, f]) => [
		f.server,
		int(f.clients),
		f.ticks_missed_min === f.ticks_missed_max
			? f.ticks_missed_min
			: `${f.ticks_missed_min}-${f.ticks_missed_max}`,
		int(f.ms_to_open_all),
		int(f.ms_to_all_resumed),
		f.gaps,
		f.dups,
		int(f.replays_served),
		f.dropped_by_server
	])
);
const shutdown = table(
	[
		'server',
		'signal',
		'streams (job streams)',
		'all closed (ms)',
		'process exited (ms)',
		'under 5 s',
		'streams ended with `retry:`',
		'request in flight',
		'new connections'
	],
	rowsOf(load('shutdown')).map(([, f]) => [
		f.server,
		f.signal,
		`${int(f.streams)} (${int(f.job_streams)})`,
		int(f.ms_until_all_streams_closed),
		int(f.ms_until_exit),
		f.under_target ? 'yes' : '**no**',
		int(f.streams_ended_with_retry),
		`${f.in_flight_request_status} JSON`,
		f.new_connections_accepted_while_draining ? 'accepted' : 'refused (listener closed)'
	])
);

/** The soak's figures as rows. */
function soakRows(/** @type {string} */ label, /** @type {any} */ s) {
	if (!s?.cycles && !s?.mixed) return [];
	if (s.measured_at) dates.add(s.measured_at.slice(0, 10));
	const rows = [];
	const c = s.cycles;
	if (c) {
		rows.push([
			label,
			`${int(c.cycles)} cycles (${int(c.cycles_per_s)}/s), ${c.failed} failed`,
			`${c.connections_after} / ${c.producers_after} / ${c.timers_after}`,
			`${fixed(c.rss_before_mb)} → ${fixed(c.rss_after_mb)} (${c.rss_growth_mb >= 0 ? '+' : ''}${fixed(c.rss_growth_mb)})`,
			`${fixed(c.heap_used_before_mb)} → ${fixed(c.heap_used_after_mb)} (${c.heap_used_growth_mb >= 0 ? '+' : ''}${fixed(c.heap_used_growth_mb, 2)})`,
			c.leak_checked_by === 'rss' ? 'RSS and heap' : 'heap'
		]);
	}
	const m = s.mixed;
	if (m) {
		rows.push([
			label,
			`${fixed(m.minutes)} min at ${int(m.clients)} clients (${int(m.steady)} steady, ${m.stalled_at_a_time}+${m.stalled_at_a_time} stalled, ${m.flapping} flapping): steady ${int(m.steady_events)} events, ${m.steady_gaps} gaps, ${m.steady_dups} dups, ${m.steady_dropped_by_server} dropped; ${int(m.flap_resumes)} resumes, ${m.flap_gaps} gaps, ${m.flap_dups} dups; ${int(m.stalled_job_clients_opened)} stalled job clients, ${int(m.server_stalled_drops)} dropped as stalled, ${int(m.server_slow_drops)} as slow; RSS under load ${fixed(m.rss_loaded_mb)} MB`,
			`${m.connections_after} / ${m.producers_after} / ${m.timers_after}`,
			`${fixed(m.rss_before_mb)} → ${fixed(m.rss_after_mb)} (${m.rss_growth_mb >= 0 ? '+' : ''}${fixed(m.rss_growth_mb)})`,
			`${fixed(m.heap_used_before_mb)} → ${fixed(m.heap_used_after_mb)} (${m.heap_used_growth_mb >= 0 ? '+' : ''}${fixed(m.heap_used_growth_mb, 2)})`,
			'heap'
		]);
	}
	return rows;
}
const soakFull = load('soak');
const soak = table(
	[
		'run',
		'load',
		'streams / producers / timers after',
		'RSS after GC, MB',
		'heap used after GC, MB',
		'leak checked by'
	],
	[...soakRows('`npm run soak`', soakFull), ...soakRows('CI (soak.test.ts)', load('soak-ci'))]
);
const c = soakFull.cycles;
const soakWarmup = c
	? c.warmup_rss_growth_mb === undefined
		? ''
		: `The warm-up took ${int(c.warmup_cycles)} cycles and grew RSS by ${fixed(c.warmup_rss_growth_mb)} MB; ` +
			`over the ${int(c.cycles)} cycles that followed, RSS moved by ${fixed(c.rss_growth_mb)} MB ` +
			`(target: within ${c.rss_limit_mb} MB, ${c.rss_growth_mb <= c.rss_limit_mb ? 'met' : '**missed**'}), ` +
			`V8's heap total ${fixed(c.heap_total_before_mb)} → ${fixed(c.heap_total_after_mb)} MB and the ` +
			`memory outside it that JS objects hold (\`external\`) ${fixed(c.external_before_mb)} → ${fixed(c.external_after_mb)} MB.`
	: '';
const soakFailures = soakFull.failures?.length
	? `\nThe long run's own checks failed: ${soakFull.failures.join('; ')}.\n`
	: '';

const section = `${START}
## Real sockets: stalls, caps, resets, storms, shutdown, soak

Generated by \`node scripts/reliability-sockets.js\` from \`tests/integration/faults/results/\`
(measured ${[...dates].sort().join(', ') || 'not yet'}, on a shared 2-core machine). Every figure is
measured, never asserted: the tests assert behaviour (dropped, refused, no gap, exits), and wait for
conditions rather than for time. "direct" is \`npm start\` (server/index.js), "endpoints" plain \`node build\`.

### A client that stops reading (\`backlog.test.ts\`)

\`SSE_STALL_MS=1000\`, \`SSE_CLIENT_BUFFER_BYTES\` 262,144. The stalled client asks for a fast job's
replay (30,000+ events, about 4.6 MB), then stops reading. "Dropped after" runs from the moment it
stopped reading to the moment \`/metrics\` counted the drop; "bytes the kernel held" is what the
client could still read after the drop (both socket buffers), which the server had handed over.

${stall}
### The per-client cap (\`caps.test.ts\`)

${caps}
### A reset mid-replay (\`backlog.test.ts\`)

Each client asks for a job's replay from \`Last-Event-ID: 1\`, reads one chunk, and resets the
connection (RST) while the server still has megabytes of replay to write; then 20 clients of the
multiplexed stream do the same during its replay buffer's replay.

${reset}
### A reconnect storm (\`storm.test.ts\`)

1,000 clients of \`/api/feeds?topics=time,stocks\` go away together and come back at once, each with
its own \`Last-Event-ID\`. "All resumed" is when the last of them has caught up with the feed's
newest tick.

${storm}
### Shutdown (\`shutdown.test.ts\`)

5,000 streams (1,000 of them on 4 running jobs) when the signal comes. A request whose head was
half-sent before the signal is answered while the server drains.

${shutdown}
### Soak (\`npm run soak\`; CI runs a short version in \`soak.test.ts\`)

RSS is read from \`/proc/<pid>/status\` after a GC triggered in the server (SIGUSR2 through
\`scripts/soak-gc.js\`, preloaded only by the soak). The heap used after GC is the leak figure. RSS
also holds what V8 and the allocator keep once they have used it, and does not give back: the
server runs with V8's young generation at its ceiling from the start (\`--min-semi-space-size=16\`,
the size it grows to anyway under this load) and with \`npm start\`'s \`MALLOC_MMAP_THRESHOLD_=65536\`
(\`server/allocator.js\`; without it glibc's heap kept freed socket buffers, and the same 100,000
cycles grew RSS by 15.5 MB), and the cycles start only after warm-up rounds at
the same pace have stopped growing RSS and V8's heap (less than 1 MB each over a round). ${soakWarmup}

${soak}${soakFailures}${END}`;

const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Reliability\n\n';
const at = current.indexOf(START);
const end = current.indexOf(END);
const next =
	at >= 0 && end > at
		? current.slice(0, at) + section + current.slice(end + END.length)
		: `${current.trimEnd()}\n\n${section}\n`;
// Formatted as `npm run lint` checks it (tables aligned), so a regenerated file stays clean.
const options = (await prettier.resolveConfig(FILE)) ?? {};
writeFileSync(FILE, await prettier.format(next, { ...options, filepath: FILE }));
console.log(`RELIABILITY.md: sockets section written (${section.length} characters)`);
