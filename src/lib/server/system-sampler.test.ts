import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import { createClock } from '$lib/backend/timers';
import {
	createSystemSampler,
	hostReaderInWorker,
	toSystemSample,
	type HostReader
} from './system-sampler';

const GiB = 1024 ** 3;

describe('toSystemSample', () => {
	it('names and rounds the readings; memory used is total minus available', () => {
		const sample = toSystemSample(
			{
				load: { currentLoad: 12.345, cpus: [{ load: 10.111 }, { load: 14.999 }] },
				mem: { total: 24 * GiB, available: 14 * GiB },
				net: [
					{ iface: 'lo', rx_sec: 1e9, tx_sec: 1e9 },
					{ iface: 'eth0', rx_sec: 1000.4, tx_sec: 2000 },
					{ iface: 'eth1', rx_sec: 24, tx_sec: 48.6 }
				],
				uptime: 86400.9,
				loadAvg: [0.523, 0.61, 0.7]
			},
			1234
		);
		expect(sample).toEqual({
			cpu_percent: 12.35,
			memory_percent: 41.67,
			memory_used_mb: 10240,
			memory_total_mb: 24576,
			cpu_cores: [10.11, 15],
			load_avg: [0.52, 0.61, 0.7],
			uptime_s: 86400,
			net_rx_bytes_per_s: 1024,
			net_tx_bytes_per_s: 2049,
			epoch_ms: 1234
		} satisfies SystemSample);
	});

	it('gives null for what the host cannot give, never a made-up number', () => {
		expect(
			toSystemSample({ load: null, mem: null, net: null, uptime: null, loadAvg: null }, 5)
		).toEqual({
			cpu_percent: null,
			memory_percent: null,
			memory_used_mb: null,
			memory_total_mb: null,
			cpu_cores: null,
			load_avg: null,
			uptime_s: null,
			net_rx_bytes_per_s: null,
			net_tx_bytes_per_s: null,
			epoch_ms: 5
		});
		const partial = toSystemSample(
			{
				load: { currentLoad: Number.NaN, cpus: [{ load: 1 }, {}] },
				mem: { total: 8 * GiB },
				// The first reading has no rates yet.
				net: [{ iface: 'eth0', rx_sec: null, tx_sec: 5 }],
				uptime: 1,
				loadAvg: [1, 2]
			},
			5
		);
		expect(partial).toMatchObject({
			cpu_percent: null,
			cpu_cores: null,
			memory_used_mb: null,
			memory_percent: null,
			memory_total_mb: 8192,
			net_rx_bytes_per_s: null,
			net_tx_bytes_per_s: 5,
			load_avg: null
		});
	});
});

describe('createSystemSampler', () => {
	it('looks the interfaces up once, then reads only the external ones', async () => {
		// A stand-in for systeminformation that records which interfaces each sample asks for.
		const asked: string[] = [];
		const readHost: HostReader = async (interfaces) => {
			asked.push(interfaces);
			const net = [
				{ iface: 'lo', rx_sec: 5, tx_sec: 5 },
				{ iface: 'eth0', rx_sec: 100, tx_sec: 200 },
				{ iface: 'eth1', rx_sec: 1, tx_sec: 2 }
			].filter((n) => interfaces === '*' || interfaces.split(',').includes(n.iface));
			return {
				load: { currentLoad: 10, cpus: [{ load: 10 }] },
				mem: { total: GiB, available: GiB / 2 },
				net
			};
		};
		const sampler = createSystemSampler(createClock(), readHost);
		const first = await sampler.sample();
		const second = await sampler.sample();
		expect(asked).toEqual(['*', 'eth0,eth1']);
		expect(first.net_rx_bytes_per_s).toBe(101);
		expect(second).toMatchObject({
			cpu_percent: 10,
			memory_percent: 50,
			net_rx_bytes_per_s: 101,
			net_tx_bytes_per_s: 202
		});
		expect(sampler.latest).toBe(second);
		// The host's own uptime (it may tick over a second between the sample and this line).
		expect(Math.abs((second.uptime_s ?? -10) - os.uptime())).toBeLessThan(2);
	});
});

describe('hostReaderInWorker', () => {
	const reader = hostReaderInWorker();
	afterAll(() => reader.close());

	it('reads this host with systeminformation in a worker thread', async () => {
		const first = await reader('*');
		// Real readings: the total is the one node:os reads from the kernel, within a rounding.
		expect(Math.abs((first.mem?.total ?? 0) / os.totalmem() - 1)).toBeLessThan(0.01);
		// Whatever interfaces this host has (not necessarily `lo`): asking for one reads only it.
		const names = first.net?.map((n) => n.iface) ?? [];
		expect(names.length).toBeGreaterThan(0);
		const one = names[names.length - 1]!;
		const second = await reader(one);
		expect(second.net?.map((n) => n.iface)).toEqual([one]);
		expect(second.load?.cpus).toHaveLength(os.cpus().length);
		expect(second.load?.currentLoad).toBeGreaterThanOrEqual(0);
	});

	it('starts a new worker after close()', async () => {
		await reader.close();
		expect((await reader('lo')).net?.map((n) => n.iface)).toEqual(['lo']);
	});
});
