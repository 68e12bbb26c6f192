/**
 * Child servers: start them with the lag probe preloaded, read their CPU time and RSS from /proc,
 * and make sure every one of them is killed by PID, even when the benchmark fails.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('../servers/probe.js', import.meta.url));

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK, 100 on Linux). */
const CLK_TCK = 100;
/** Bytes per page of /proc/<pid>/stat's rss field. */
const PAGE_SIZE = 4096;

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/** Kills every child still running, synchronously; safe to call from an `exit` handler. */
export function killAllChildren() {
	for (const child of children) {
		if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
			try {
				process.kill(child.pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
	}
	children.clear();
}

/** Registers a child so `killAllChildren` ends it. */
export function trackChild(/** @type {import('node:child_process').ChildProcess} */ child) {
	children.add(child);
	child.once('exit', () => children.delete(child));
}

/** A free TCP port on 127.0.0.1 (a fresh one per run, so no TIME_WAIT tuple can collide). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const address = srv.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			srv.close(() => resolve(port));
		});
	});
}

/** CPU seconds (user + system) and RSS bytes of a process, read from /proc/<pid>/stat. */
export function readProcStat(/** @type {number} */ pid) {
	const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// The command name may hold spaces; the fields after its closing parenthesis are fixed.
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	// Fields 14 (utime), 15 (stime) and 24 (rss) of proc(5), counted after pid and comm.
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	const rssPages = Number(fields[21]);
	return { cpuSeconds: (utime + stime) / CLK_TCK, rssBytes: rssPages * PAGE_SIZE };
}

/**
 * Write-family syscalls (`syscw`: write, writev, …) of a process, all threads, from
 * /proc/<pid>/io; null when the file cannot be read (another user's process, no such kernel field).
 */
export function readProcIo(/** @type {number} */ pid) {
	try {
		const text = readFileSync(`/proc/${pid}/io`, 'utf8');
		const syscw = /^syscw:\s+(\d+)/m.exec(text);
		return syscw ? { syscw: Number(syscw[1]) } : null;
	} catch {
		return null;
	}
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function readMachineCpu() {
	const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
	const ticks = first.trim().split(/\s+/).slice(1).map(Number);
	const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
	// idle and iowait are the 4th and 5th fields.
	const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
	return { busySeconds: (total - idle) / CLK_TCK, totalSeconds: total / CLK_TCK };
}

/**
 * @typedef {object} ServerSpec
 * @property {string} key Short key: `a`, `a-endpoints`, `b`, `c` or `e`.
 * @property {Record<string, string>} [paths] The stream to open per scenario, where it is not the
 *   scenario's default (`idle`: each server's nearest thing to a stream that carries nothing).
 * @property {string} name Human name for the report.
 * @property {string} entry Path of the server's entry script.
 * @property {Record<string, string>} [env] Extra environment variables.
 */

/**
 * @typedef {object} RunningServer
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {number} port
 * @property {() => string} log The last few KB of the server's stdout and stderr.
 * @property {(message: object, timeoutMs?: number) => Promise<any>} ask Sends a probe command and
 *   waits for its answer (default 5 s).
 */

/**
 * Starts a server with the lag probe preloaded and waits until `GET /api/health` answers 200.
 * @param {ServerSpec} spec
 * @param {{ port: number, nodeArgs?: string[], env?: Record<string, string>, readyTimeoutMs?: number }} options
 * @returns {Promise<RunningServer>}
 */
export async function startServer(
	spec,
	{ port, nodeArgs = [], env = {}, readyTimeoutMs = 20_000 }
) {
	const child = spawn(
		process.execPath,
		[...nodeArgs, '--expose-gc', '--import', PROBE, spec.entry],
		{
			stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
			env: {
				...process.env,
				NODE_ENV: 'production',
				PORT: String(port),
				HOST: '127.0.0.1',
				ORIGIN: `http://127.0.0.1:${port}`,
				...spec.env,
				...env
			}
		}
	);
	trackChild(child);
	let logText = '';
	const keep = (/** @type {Buffer} */ chunk) => {
		logText = (logText + chunk.toString('utf8')).slice(-4096);
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);

	let nextId = 0;
	/** @type {Map<number, (value: any) => void>} */
	const waiting = new Map();
	child.on('message', (/** @type {any} */ message) => {
		const resolve = waiting.get(message?.id);
		if (resolve) {
			waiting.delete(message.id);
			resolve(message);
		}
	});
	/** @param {object} message */
	const ask = (message, timeoutMs = 5000) =>
		new Promise((resolve, reject) => {
			const id = ++nextId;
			const timer = setTimeout(() => {
				waiting.delete(id);
				reject(new Error(`probe did not answer ${JSON.stringify(message)}`));
			}, timeoutMs);
			waiting.set(id, (value) => {
				clearTimeout(timer);
				resolve(value);
			});
			child.send({ ...message, id });
		});

	const deadline = Date.now() + readyTimeoutMs;
	for (let attempt = 0; attempt < 400 && Date.now() < deadline; attempt++) {
		if (child.exitCode !== null || child.signalCode !== null) break;
		if ((await httpGet(port, '/api/health', 1000).catch(() => null))?.status === 200) {
			if (child.pid === undefined) throw new Error('server has no pid');
			return { child, pid: child.pid, port, log: () => logText, ask };
		}
		await sleep(100);
	}
	await stopServer({ child, pid: child.pid ?? 0, port, log: () => logText, ask });
	throw new Error(`${spec.name} did not become ready on port ${port}:\n${logText}`);
}

/** Asks the server to exit (so `--cpu-prof` can write its profile), then kills it by PID. */
export async function stopServer(/** @type {RunningServer} */ server) {
	const { child } = server;
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	try {
		child.send({ cmd: 'exit' });
	} catch {
		// The IPC channel is gone; fall through to SIGKILL.
	}
	const timer = sleep(5000).then(() => 'timeout');
	if ((await Promise.race([exited, timer])) === 'timeout' && server.pid) {
		try {
			process.kill(server.pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
		await exited;
	}
}

/**
 * A GET on 127.0.0.1 that reads the whole (small) body.
 * @returns {Promise<{status: number, body: string}>}
 */
export function httpGet(/** @type {number} */ port, /** @type {string} */ path, timeoutMs = 3000) {
	return new Promise((resolve, reject) => {
		const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => {
				if (body.length < 1_000_000) body += chunk;
			});
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
			res.on('error', reject);
		});
		req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} timed out`)));
		req.on('error', reject);
	});
}

/** Resolves after `ms` milliseconds. */
export function sleep(/** @type {number} */ ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
