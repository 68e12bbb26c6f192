/**
 * Starting and stopping the servers tests need: always on 127.0.0.1, on a free port, ended by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { allocatorEnv } from '../../server/allocator.js';

/** A port that was free a moment ago (the OS picks it; a server then binds it at once). */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() =>
				typeof address === 'object' && address ? resolve(address.port) : reject()
			);
		});
	});
}

/** Resolves once `url` answers (any HTTP status), or rejects after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
			await res.body?.cancel();
			return;
		} catch (error) {
			if (Date.now() > deadline) throw new Error(`${url} did not answer`, { cause: error });
			await new Promise((r) => setTimeout(r, 200));
		}
	}
}

/** A child process started by a test, with its output kept for failure messages. */
export interface Started {
	child: ChildProcess;
	url: string;
	port: number;
	output(): string;
	/** Sends `signal` to this process only and waits for it to exit. */
	stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `command args` with `env`, and waits until `readyPath` answers on the port. */
export async function startProcess(options: {
	command: string;
	args: string[];
	port?: number;
	env?: Record<string, string>;
	readyPath?: string;
	cwd?: string;
}): Promise<Started> {
	const port = options.port ?? (await freePort());
	const child = spawn(options.command, options.args, {
		cwd: options.cwd,
		env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...options.env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let log = '';
	child.stdout?.on('data', (d) => (log += d));
	child.stderr?.on('data', (d) => (log += d));
	const url = `http://127.0.0.1:${port}`;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const started: Started = {
		child,
		url,
		port,
		output: () => log,
		async stop(signal = 'SIGTERM') {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill(signal);
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
		}
	};
	try {
		await Promise.race([
			waitForHttp(url + (options.readyPath ?? '/')),
			exited.then(() => {
				throw new Error(`${options.command} exited early:\n${log}`);
			})
		]);
	} catch (error) {
		await started.stop('SIGKILL');
		throw error;
	}
	return started;
}

/** Starts the built Live Feeds server as `npm start` does (`server/index.js`: streams on the direct path). */
export function startBuiltServer(
	env: Record<string, string> = {},
	port?: number
): Promise<Started> {
	return startProcess({
		command: process.execPath,
		args: ['server/index.js'],
		env: { ...allocatorEnv(), ...env },
		port,
		readyPath: '/api/health'
	});
}

/** Starts the built app as plain `node build` (adapter-node's server: streams through the endpoints). */
export function startEndpointsServer(
	env: Record<string, string> = {},
	port?: number
): Promise<Started> {
	return startProcess({
		command: process.execPath,
		args: ['build/index.js'],
		env,
		port,
		readyPath: '/api/health'
	});
}
