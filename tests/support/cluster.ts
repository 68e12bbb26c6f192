/**
 * Several built instances (`node build`) on one real Redis, all on 127.0.0.1 ephemeral ports, for
 * the cluster tests. Each instance and Redis is stopped by PID in `stop()`, which callers run in
 * `afterAll` / `finally` whatever happened.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Health } from '../../src/lib/shared/contract';
import { copyBuild, waitFor } from '../integration/server/app';
import { allocatorEnv } from '../../server/allocator.js';
import { startProcess, type Started } from './processes';
import { startRedis, type StartedRedis } from './redis';

/** A running cluster. */
export interface Cluster {
	redis: StartedRedis;
	/** The instances, by index; a killed one stays in place with its process gone. */
	instances: Started[];
	/** `/api/health` of instance `i`, or null when it does not answer. */
	health(i: number): Promise<Health | null>;
	/** Waits until one live instance holds `topic`'s lease; returns its index. */
	leaseholder(topic: string, except?: number): Promise<number>;
	/** Kills instance `i` with SIGKILL (no shutdown, no lease released). */
	kill(i: number): Promise<void>;
	/** Stops everything by PID and removes the build copy. */
	stop(): Promise<void>;
}

/** Settings that keep the cluster tests short: leases of under a second, frequent pings. */
export const FAST_CLUSTER_ENV: Record<string, string> = {
	REDIS_LEASE_MS: '600',
	SSE_HEARTBEAT_MS: '1000',
	SSE_RETRY_MS: '200',
	MAX_CONNECTIONS_PER_CLIENT: '256'
};

/**
 * A private copy of `build/` with `server/` (what `npm start` runs) beside it, so a rebuild
 * elsewhere in the tree cannot swap the chunks under the instances. Returns the server's path.
 */
async function copyServer(): Promise<{ server: string; remove(): void }> {
	const build = await copyBuild();
	const root = new URL('../../server/', import.meta.url);
	mkdirSync(`${build.dir}server`, { recursive: true });
	for (const file of readdirSync(root)) {
		const source = readFileSync(new URL(file, root), 'utf8');
		// The copy of build/ is the server's parent directory here.
		writeFileSync(`${build.dir}server/${file}`, source.replaceAll("'../build/", "'../"));
	}
	return { server: `${build.dir}server/index.js`, remove: build.remove };
}

/** Starts Redis and `count` instances (`npm start`'s server on a copy of `build/`) on it. */
export async function startCluster(
	options: { count?: number; env?: Record<string, string> } = {}
): Promise<Cluster> {
	const build = await copyServer();
	const instances: Started[] = [];
	let redis: StartedRedis | null = null;
	const stop = async () => {
		await Promise.all(instances.map((i) => i.stop('SIGKILL')));
		await redis?.stop();
		build.remove();
	};
	try {
		redis = await startRedis();
		const env = { ...allocatorEnv(), ...FAST_CLUSTER_ENV, REDIS_URL: redis.url, ...options.env };
		const starting = Array.from({ length: options.count ?? 3 }, () =>
			startProcess({
				command: process.execPath,
				args: [build.server],
				env,
				readyPath: '/api/health'
			})
		);
		// Every instance that started is kept, so `stop()` ends it even when another failed.
		const settled = await Promise.allSettled(starting);
		for (const result of settled) if (result.status === 'fulfilled') instances.push(result.value);
		const failed = settled.find((r) => r.status === 'rejected');
		if (failed) throw failed.reason;
	} catch (error) {
		await stop();
		throw error;
	}
	const started = redis;
	const health = async (i: number) => {
		const instance = instances[i];
		if (!instance || instance.child.exitCode !== null || instance.child.signalCode !== null) {
			return null;
		}
		try {
			const res = await fetch(`${instance.url}/api/health`, { signal: AbortSignal.timeout(2000) });
			return res.ok ? ((await res.json()) as Health) : null;
		} catch {
			return null;
		}
	};
	return {
		redis: started,
		instances,
		health,
		async leaseholder(topic, except) {
			return waitFor(`an instance to hold the ${topic} lease`, async () => {
				for (let i = 0; i < instances.length; i++) {
					if (i === except) continue;
					if ((await health(i))?.bus?.leases.includes(topic)) return i + 1;
				}
				return 0;
			}).then((n) => n - 1);
		},
		async kill(i) {
			await instances[i]?.stop('SIGKILL');
		},
		stop
	};
}
