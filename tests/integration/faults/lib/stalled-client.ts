/**
 * Drives stalled-client.py: a real TCP client that stops reading, optionally with a tiny
 * SO_RCVBUF (which Node cannot set). Started by PID and always killed by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SCRIPT = fileURLToPath(new URL('./stalled-client.py', import.meta.url));

/** What the client said once it stopped reading. */
export interface Stopped {
	status: string;
	received: number;
	rcvbuf: number;
	/** When it stopped reading, in ms since the epoch. */
	at: number;
}

/** What the client read after it was told to read again: what the kernel had kept for it. */
export interface Drained {
	after_stop: number;
	ending: 'fin' | 'reset' | 'timeout';
}

/** One stalled client process. */
export interface StalledClient {
	stopped: Promise<Stopped>;
	/** Reads what is left until the server's FIN or reset. */
	drain(): Promise<Drained>;
	kill(): void;
}

/** Starts a client that reads `path` up to its first event and then stops reading. */
export function startStalledClient(options: {
	port: number;
	path: string;
	/** SO_RCVBUF; 0 keeps the kernel's default. */
	rcvbuf: number;
}): StalledClient {
	const child: ChildProcess = spawn(
		'python3',
		[SCRIPT, '127.0.0.1', String(options.port), options.path, String(options.rcvbuf)],
		{ stdio: ['pipe', 'pipe', 'inherit'] }
	);
	const lines: ((line: Record<string, unknown>) => void)[] = [];
	const queue: Record<string, unknown>[] = [];
	createInterface({ input: child.stdout! }).on('line', (text) => {
		const line = JSON.parse(text) as Record<string, unknown>;
		const waiter = lines.shift();
		if (waiter) waiter(line);
		else queue.push(line);
	});
	const exited = new Promise<never>((_, reject) =>
		child.once('exit', (code) => reject(new Error(`stalled client exited (${code})`)))
	);
	exited.catch(() => {});
	const next = () =>
		Promise.race([
			new Promise<Record<string, unknown>>((resolve) => {
				const queued = queue.shift();
				if (queued) resolve(queued);
				else lines.push(resolve);
			}),
			exited
		]);
	const stopped = next().then(
		(line) => ({ ...line, at: Number(line.at) * 1000 }) as unknown as Stopped
	);
	return {
		stopped,
		async drain() {
			child.stdin!.write('\n');
			return (await next()) as unknown as Drained;
		},
		kill() {
			if (child.exitCode === null && child.signalCode === null && child.pid) {
				process.kill(child.pid, 'SIGKILL');
			}
		}
	};
}
