/** The wire shape of this app's own feed, shared by its `+server.ts` and its page. */
export interface AppStats {
	/** Resident memory of this app's Node process, in MB. */
	rss_mb: number;
	/** Seconds since this app's process started. */
	uptime_s: number;
	epoch_ms: number;
}

/** The feed's event map: one unnamed event. */
export interface AppStatsEvents {
	message: AppStats;
}

/** Where this app serves the feed. */
export const APP_STATS_PATH = '/api/app-stats';
