/** The bus's part of `/api/health` (until the core's health endpoint reports it itself). */
import type { BusStatus } from '$lib/backend/bus';
import type { Health, HealthBus } from '$lib/shared/contract';

/** The contract's view of a bus status. */
export function healthBus(status: BusStatus): HealthBus {
	const { kind, state, leases, errors, lagMs } = status;
	return { kind, state, leases, errors, lag_ms: Math.round(lagMs) };
}

/** `response` with `bus` added to its `Health` body; any other answer (an error) as it is. */
export async function withBusHealth(response: Response, status: BusStatus): Promise<Response> {
	if (response.status !== 200) return response;
	const body = (await response.json()) as Health;
	const headers = new Headers(response.headers);
	headers.delete('content-length');
	return new Response(JSON.stringify({ ...body, bus: healthBus(status) } satisfies Health), {
		status: 200,
		headers
	});
}
