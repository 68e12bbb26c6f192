/**
 * Defaults for the injectable parts, resolved once per source. Everything reads globals at call
 * time, so fake timers installed after import still apply, and nothing touches `window` on the
 * server.
 */
import { HEARTBEAT_MS } from '$lib/shared/wire';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type {
	BroadcastChannelConstructor,
	EventSourceConstructor,
	FeedSourceOptions,
	LifecycleSignals,
	LockManagerLike,
	TimerFunctions
} from './types';

/** Options with every default filled in. */
export interface ResolvedOptions {
	closeOn: readonly string[];
	listen: readonly string[];
	heartbeatMs: number;
	policy: BackoffPolicy;
	withCredentials: boolean;
	EventSource: EventSourceConstructor;
	fetch: typeof fetch;
	timers: TimerFunctions;
	now: () => number;
	random: () => number;
	lifecycle: LifecycleSignals | undefined;
	/** Cross-tab sharing, or null when it is off or the browser lacks Web Locks or BroadcastChannel. */
	tabs: TabSharing | null;
	sharedHistory: number;
}

/** What cross-tab sharing needs: a lock manager and a channel constructor. */
export interface TabSharing {
	locks: LockManagerLike;
	BroadcastChannel: BroadcastChannelConstructor;
}

function tabSharing(options: FeedSourceOptions, inBrowser: boolean): TabSharing | null {
	if (options.shareAcrossTabs === false) return null;
	const locks = options.locks ?? (inBrowser ? globalThis.navigator?.locks : undefined);
	const BroadcastChannel =
		options.BroadcastChannel ?? (inBrowser ? globalThis.BroadcastChannel : undefined);
	return locks && BroadcastChannel ? { locks, BroadcastChannel } : null;
}

/** The global `setTimeout`/`clearTimeout`, looked up at call time so fake timers apply. */
export const globalTimers: TimerFunctions = {
	setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
	clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>)
};

/** `online` on `window`, and `visibilitychange` to visible on `document`; undefined outside a browser. */
export function browserLifecycle(): LifecycleSignals | undefined {
	if (typeof window === 'undefined' || typeof document === 'undefined') return undefined;
	return {
		subscribe(listener) {
			const onOnline = () => listener('online');
			const onVisibility = () => {
				if (document.visibilityState === 'visible') listener('visible');
			};
			window.addEventListener('online', onOnline);
			document.addEventListener('visibilitychange', onVisibility);
			return () => {
				window.removeEventListener('online', onOnline);
				document.removeEventListener('visibilitychange', onVisibility);
			};
		}
	};
}

/**
 * Fills in the defaults; null when there is nothing to connect with (SSR, or no `EventSource`),
 * in which case the stores stay inert. Without an injected `EventSource`, the global one is used
 * only when `window` exists, so a server that happens to have one never opens streams in SSR.
 */
export function resolveOptions(options: FeedSourceOptions): ResolvedOptions | null {
	const inBrowser = typeof window !== 'undefined';
	const EventSourceImpl =
		options.EventSource ??
		(inBrowser ? (globalThis.EventSource as EventSourceConstructor | undefined) : undefined);
	if (!EventSourceImpl) return null;
	return {
		closeOn: options.closeOn ?? [],
		listen: options.listen ?? [],
		heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
		policy: {
			minRetryMs: options.minRetryMs ?? DEFAULT_BACKOFF.minRetryMs,
			baseRetryMs: options.baseRetryMs ?? DEFAULT_BACKOFF.baseRetryMs,
			maxRetryMs: options.maxRetryMs ?? DEFAULT_BACKOFF.maxRetryMs
		},
		withCredentials: options.withCredentials ?? false,
		EventSource: EventSourceImpl,
		// Looked up at call time; where there is none, the probe's call throws and learns nothing.
		fetch: options.fetch ?? ((...args) => globalThis.fetch(...args)),
		timers: options.timers ?? globalTimers,
		now: options.now ?? (() => Date.now()),
		random: options.random ?? Math.random,
		lifecycle: options.lifecycle ?? browserLifecycle(),
		tabs: tabSharing(options, inBrowser),
		sharedHistory: options.sharedHistory ?? 1
	};
}

/** What a status probe learned: the HTTP status (undefined = no answer) and `Retry-After`. */
export interface ProbeResult {
	status: number | undefined;
	retryAfter: string | null;
}

/**
 * Learns the HTTP status a browser `EventSource` hides: requests the URL again and aborts as
 * soon as the headers arrive (which also drops the body), so a healthy stream is not kept open.
 */
export async function probeStatus(
	fetchImpl: typeof fetch,
	url: string,
	withCredentials: boolean
): Promise<ProbeResult> {
	const controller = new AbortController();
	try {
		const response = await fetchImpl(url, {
			headers: { accept: 'text/event-stream' },
			cache: 'no-store',
			credentials: withCredentials ? 'include' : 'same-origin',
			signal: controller.signal
		});
		return { status: response.status, retryAfter: response.headers.get('retry-after') };
	} catch {
		return { status: undefined, retryAfter: null };
	} finally {
		controller.abort();
	}
}
