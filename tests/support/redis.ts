/**
 * A real redis-server for a test: on 127.0.0.1, on a free port, with no persistence, ended by PID.
 * `restart()` stops it and starts a fresh one on the same port (its data is gone, as after a crash
 * of an instance that saves nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './processes';

/** A redis-server started by a test. */
export interface StartedRedis {
	port: number;
	url: string;
	/** PID of the running server (changes on restart). */
	readonly pid: number | undefined;
	output(): string;
	/** Kills this server by PID (SIGKILL unless told) and waits for it to exit. */
	stop(signal?: NodeJS.Signals): Promise<void>;
	/** Stops the server and starts a new one on the same port. */
	restart(): Promise<void>;
}

/** Where Debian puts redis-server; `REDIS_SERVER` overrides. */
export const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';

/** Resolves once something accepts TCP connections on `port` and answers PING. */
async function waitForRedis(port: number, exited: Promise<void>, log: () => string) {
	const deadline = Date.now() + 20_000;
	let gone = false;
	void exited.then(() => (gone = true));
	for (;;) {
		if (gone) throw new Error(`redis-server exited early:\n${log()}`);
		const ok = await new Promise<boolean>((resolve) => {
			const socket = createConnection({ host: '127.0.0.1', port });
			socket.setTimeout(1000);
			socket.once('connect', () => socket.write('PING\r\n'));
			socket.once('data', (d) => {
				socket.destroy();
				resolve(d.toString().startsWith('+PONG'));
			});
			socket.once('error', () => resolve(false));
			socket.once('timeout', () => {
				socket.destroy();
				resolve(false);
			});
		});
		if (ok) return;
		if (Date.now() > deadline) throw new Error(`redis-server did not answer:\n${log()}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Starts redis-server on a free 127.0.0.1 port (or `port`). */
export async function startRedis(options: { port?: number } = {}): Promise<StartedRedis> {
	const port = options.port ?? (await freePort());
	let child: ChildProcess;
	let exited: Promise<void>;
	let log = '';
	const spawnOne = async () => {
		child = spawn(
			REDIS_SERVER,
			['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
			{ stdio: ['ignore', 'pipe', 'pipe'] }
		);
		child.stdout?.on('data', (d) => (log += d));
		child.stderr?.on('data', (d) => (log += d));
		exited = new Promise((resolve) => child.once('exit', () => resolve()));
		try {
			await waitForRedis(port, exited, () => log);
		} catch (error) {
			await stop('SIGKILL');
			throw error;
		}
	};
	const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		child.kill(signal);
		await exited;
	};
	await spawnOne();
	return {
		port,
		url: `redis://127.0.0.1:${port}`,
		get pid() {
			return child.pid;
		},
		output: () => log,
		stop,
		async restart() {
			await stop();
			await spawnOne();
		}
	};
}
