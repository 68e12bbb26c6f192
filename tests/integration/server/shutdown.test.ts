/**
 * SIGTERM on the real server process (`node build`): every open stream is told to come back
 * later with a jittered `retry:`, is ended, and the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { copyBuild, readAll, waitFor } from './app';

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

describe('SIGTERM', () => {
	it('sends every stream a retry, ends it, and exits', async () => {
		const build = await copyBuild();
		const port = await freePort();
		let child: ChildProcess | null = null;
		try {
			child = spawn(process.execPath, [`${build.dir}index.js`], {
				env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
				stdio: ['ignore', 'pipe', 'pipe']
			});
			let output = '';
			child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
			child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
			const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
			await waitFor('the server to listen', () => output.includes('Listening'), 20_000);

			const base = `http://127.0.0.1:${port}`;
			const streams = await Promise.all(
				['/api/feeds/time', '/api/feeds/stocks', '/api/feeds?topics=time'].map(async (path) => {
					const response = await fetch(`${base}${path}`);
					expect(response.status).toBe(200);
					return readAll(response.body!);
				})
			);
			await waitFor('every stream to send its first event', () =>
				streams.every((s) => s.text.includes('data: '))
			);

			child.kill('SIGTERM');
			await waitFor('every stream to end', () => streams.every((s) => s.ended), 15_000);
			for (const stream of streams) {
				const blocks = stream.text.split('\n\n').filter(Boolean);
				const last = blocks.at(-1)!;
				expect(last).toMatch(/^retry: \d+$/);
				const retry = Number(last.slice('retry: '.length));
				// The default 2000 ms plus up to twice that in jitter.
				expect(retry).toBeGreaterThanOrEqual(2000);
				expect(retry).toBeLessThan(6000);
			}
			expect(
				await Promise.race([
					exited,
					new Promise((r) => setTimeout(() => r('still running'), 15_000))
				])
			).toBe(0);
		} finally {
			if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			build.remove();
		}
	});
});
