/**
 * The client's address on the direct path, read exactly as adapter-node's handler reads it for
 * SvelteKit's `getClientAddress()`: `ADDRESS_HEADER` (with `XFF_DEPTH` for `x-forwarded-for`), else
 * the socket's remote address. The per-client connection cap counts by it.
 */
import type { IncomingMessage } from 'node:http';

/** How the address is found; read from the environment once. */
export interface AddressSettings {
	/** `ADDRESS_HEADER`, lower-cased; empty = the socket's address. */
	header: string;
	/** `XFF_DEPTH`: which address from the right of `x-forwarded-for`. Default 1. */
	xffDepth: number;
}

/** Reads `ADDRESS_HEADER` and `XFF_DEPTH` as adapter-node does. */
export function addressSettings(
	env: Record<string, string | undefined> = process.env
): AddressSettings {
	return {
		header: (env.ADDRESS_HEADER ?? '').toLowerCase(),
		xffDepth: parseInt(env.XFF_DEPTH ?? '1', 10)
	};
}

/** The client's address, or null where adapter-node would throw (the caller then lets it answer). */
export function clientAddress(req: IncomingMessage, settings: AddressSettings): string | null {
	if (!settings.header) return req.socket.remoteAddress ?? null;
	const raw = req.headers[settings.header];
	if (raw === undefined) return null;
	const value = Array.isArray(raw) ? raw.join(',') : raw;
	if (settings.header !== 'x-forwarded-for') return value;
	const addresses = value.split(',');
	if (!(settings.xffDepth >= 1) || settings.xffDepth > addresses.length) return null;
	return addresses[addresses.length - settings.xffDepth]!.trim();
}
