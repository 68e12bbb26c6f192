/**
 * `npm run cluster`: Redis, three built instances (`node server/index.js`, as `npm start`) and nginx in front
 * of them on one address, all on 127.0.0.1, on this machine. Ctrl-C stops everything by PID.
 *
 *   npm run build && npm run cluster              # http://127.0.0.1:8080
 *   PORT=9000 INSTANCES=5 npm run cluster
 *   REDIS_URL=redis://10.0.0.5:6379 npm run cluster   # an existing Redis instead of a fresh one
 *
 * Every other variable (SSE_HEARTBEAT_MS, REDIS_LEASE_MS, …) is passed on to the instances.
 * docs/deploy.md explains the nginx settings.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatorEnv } from '../server/allocator.js';
import { nginxConf } from './nginx-conf.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';
const NGINX = process.env.NGINX || '/usr/sbin/nginx';

/**
 * A port the OS had free a moment ago.
 * @returns {Promise<number>}
 */
function freePort() {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() =>
				address && typeof address === 'object' ? resolve(address.port) : reject()
			);
		});
	});
}

/**
 * Polls `check` every 100 ms until it is true, for at most `ms`.
 * @param {string} what
 * @param {() => Promise<boolean>} check
 * @param {number} [ms]
 */
async function until(what, check, ms = 30_000) {
	const deadline = Date.now() + ms;
	while (!(await check().catch(() => false))) {
		if (Date.now() > deadline) throw new Error(`${what} did not come up`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
/** @type {string | null} */
let nginxDir = null;

/**
 * Starts a child whose output goes to this terminal, prefixed with `name`.
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {Record<string, string>} [env]
 */
function start(name, command, args, env = {}) {
	const child = spawn(command, args, {
		cwd: ROOT,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	for (const stream of [child.stdout, child.stderr]) {
		stream?.on('data', (chunk) => {
			for (const line of String(chunk).trimEnd().split('\n')) console.log(`[${name}] ${line}`);
		});
	}
	child.once('exit', (code, signal) => console.log(`[${name}] exited (${signal ?? code})`));
	children.push(child);
	return child;
}

let stopping = false;
/** Stops every child by PID, nginx and the instances first, Redis last. */
async function stopAll() {
	if (stopping) return;
	stopping = true;
	for (const child of [...children].reverse()) {
		if (child.exitCode !== null || child.signalCode !== null) continue;
		child.kill('SIGTERM');
		const exited = new Promise((resolve) => child.once('exit', resolve));
		const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
		await exited;
		clearTimeout(timer);
	}
	if (nginxDir) rmSync(nginxDir, { recursive: true, force: true });
}

async function main() {
	if (!existsSync(join(ROOT, 'build/handler.js'))) {
		throw new Error('build/handler.js is missing: run `npm run build` first');
	}
	execFileSync('bash', [join(ROOT, 'scripts/ensure-services.sh')], { stdio: 'inherit' });
	const port = Number(process.env.PORT || 8080);
	const count = Number(process.env.INSTANCES || 3);

	let redisUrl = process.env.REDIS_URL;
	if (!redisUrl) {
		const redisPort = await freePort();
		const args = [
			'--port',
			String(redisPort),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no'
		];
		start('redis', REDIS_SERVER, args);
		redisUrl = `redis://127.0.0.1:${redisPort}`;
	}

	/** @type {string[]} */
	const upstreams = [];
	for (let i = 1; i <= count; i++) {
		const instancePort = await freePort();
		start(`instance ${i}`, process.execPath, ['server/index.js'], {
			// As `npm start` runs it.
			...allocatorEnv(),
			HOST: '127.0.0.1',
			PORT: String(instancePort),
			REDIS_URL: redisUrl,
			// The per-client cap counts the address nginx saw, not nginx's own.
			ADDRESS_HEADER: 'x-forwarded-for',
			XFF_DEPTH: '1',
			ORIGIN: process.env.ORIGIN || `http://127.0.0.1:${port}`
		});
		upstreams.push(`127.0.0.1:${instancePort}`);
	}
	for (const upstream of upstreams) {
		await until(upstream, async () => (await fetch(`http://${upstream}/api/health`)).ok);
	}

	nginxDir = mkdtempSync(join(tmpdir(), 'live-feeds-cluster-'));
	const file = join(nginxDir, 'nginx.conf');
	const heartbeatS = Math.ceil(Number(process.env.SSE_HEARTBEAT_MS || 15_000) / 1000);
	writeFileSync(file, nginxConf({ port, dir: nginxDir, upstreams, readTimeoutS: heartbeatS * 4 }));
	start('nginx', NGINX, ['-p', nginxDir, '-c', file, '-e', join(nginxDir, 'error.log')]);
	await until('nginx', async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok);

	console.log(`\nLive Feeds: ${count} instances on ${redisUrl}, behind http://127.0.0.1:${port}`);
	for (const [i, upstream] of upstreams.entries())
		console.log(`  instance ${i + 1}: http://${upstream}`);
	console.log('Ctrl-C stops them all.\n');
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
	process.once(signal, () => void stopAll().then(() => process.exit(0)));
}
main().catch(async (error) => {
	console.error(error instanceof Error ? error.message : error);
	await stopAll();
	process.exit(1);
});
