/**
 * The widgets: Svelte 5 components over the client stores, themeable through `--lf-*` custom
 * properties, each usable alone with a `baseUrl` or a store.
 */
export { default as Clock } from './Clock.svelte';
export { default as SystemMonitor } from './SystemMonitor.svelte';
export { default as TrainingProgress } from './TrainingProgress.svelte';
export { default as StockTicker } from './StockTicker.svelte';
export { default as ConnectionStatus } from './ConnectionStatus.svelte';
export { default as Sparkline } from './Sparkline.svelte';
export { default as ProgressBar } from './ProgressBar.svelte';
export { frameThrottle, frameThrottled, animationFrames } from './frame-throttle';
export type { FrameScheduler, FrameThrottle } from './frame-throttle';
export { createAnnouncer, type Announcer, type AnnouncerOptions } from './announcer';
export { DEFAULT_SYMBOLS, type ConnectionSource, type FeedStore, type QuoteStores } from './types';
