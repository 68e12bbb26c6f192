/**
 * A real nginx in front of several instances: on 127.0.0.1, on a free port, with its pid, logs and
 * temp paths in a temporary directory, in the foreground (`daemon off;`), ended by PID.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxConf } from '../../scripts/nginx-conf.js';
import { freePort, waitForHttp } from './processes';

/** Where Debian puts nginx; `NGINX` overrides. */
export const NGINX = process.env.NGINX || '/usr/sbin/nginx';

/** An nginx started by a test. */
export interface StartedNginx {
	port: number;
	url: string;
	output(): string;
	/** Stops nginx by PID (its workers follow the master) and removes its directory. */
	stop(): Promise<void>;
}

/** Starts nginx proxying to `upstreams` (`host:port` each); resolves once `readyPath` answers. */
export async function startNginx(options: {
	upstreams: string[];
	readTimeoutS?: number;
	readyPath?: string;
}): Promise<StartedNginx> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'live-feeds-nginx-'));
	const file = join(dir, 'nginx.conf');
	writeFileSync(
		file,
		nginxConf({ port, dir, upstreams: options.upstreams, readTimeoutS: options.readTimeoutS })
	);
	const child = spawn(NGINX, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let log = '';
	child.stdout?.on('data', (d) => (log += d));
	child.stderr?.on('data', (d) => (log += d));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			// SIGTERM: nginx's fast shutdown; the master ends its workers before it exits.
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await Promise.race([
			waitForHttp(url + (options.readyPath ?? '/api/health')),
			exited.then(() => {
				throw new Error(`nginx exited early:\n${log}`);
			})
		]);
	} catch (error) {
		await stop();
		throw error;
	}
	return { port, url, output: () => log, stop };
}
