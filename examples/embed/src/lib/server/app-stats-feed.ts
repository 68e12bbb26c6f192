import { createFeed, intervalProducer } from 'live-feeds/server';
import type { AppStats } from '$lib/app-stats';

/**
 * This app's own feed, served through Live Feeds' hub and stream machinery: it runs only while
 * someone listens, resumes with Last-Event-ID, and gets heartbeats and connection caps for free.
 */
export const appStatsFeed = createFeed<AppStats>({
	name: 'app-stats',
	producer: intervalProducer({
		intervalMs: 1000,
		next: (now) => ({
			rss_mb: Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10,
			uptime_s: Math.floor(process.uptime()),
			epoch_ms: now
		})
	})
});
