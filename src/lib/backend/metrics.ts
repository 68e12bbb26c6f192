import type { FanOutTally } from './fan-out';
import type { CloseReason } from './sse/connection';

/**
 * What the feeds report as they run. The server counts it in Prometheus (server/metrics.ts);
 * the mock backend uses `noMetrics`, so no metrics library reaches the browser.
 */
export interface MetricsSink {
	/** Events delivered to clients: one per client per event, in `writes` writes of `bytes` in all. */
	sent(feed: string, tally: FanOutTally): void;
	/** A reconnect was served missed events from the replay buffer. */
	replayed(feed: string): void;
	/** A stream ended. */
	closed(feed: string, reason: CloseReason): void;
	/** Heartbeat pings written in one sweep. */
	pinged(count: number): void;
	/** The metrics as a `/metrics` answer; absent when the sink keeps none. */
	scrape?(): Promise<{ contentType: string; text: string }>;
}

/** A sink that keeps nothing. */
export const noMetrics: MetricsSink = {
	sent: () => {},
	replayed: () => {},
	closed: () => {},
	pinged: () => {}
};
