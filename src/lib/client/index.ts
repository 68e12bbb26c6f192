/**
 * The client half of Live Feeds: Svelte stores over any SSE endpoint, and typed stores over the
 * contract's feeds. Safe to import in SSR: nothing connects until a browser subscribes.
 */
export { createFeedSource } from './feed-source';
export type { FeedSource, FeedEventName, FeedEventData } from './feed-source';
export { describeConnection, initialConnectionState } from './connection-state';
export { classifyFailure, retryDelay, DEFAULT_BACKOFF } from './backoff';
export type { BackoffPolicy, FailureAction } from './backoff';
export { withLastEventId } from './routing';
export {
	timeFeed,
	systemFeed,
	stocksFeed,
	multiplexFeed,
	trainingJob,
	type FeedHelperOptions,
	type LiveFeedOptions,
	type TimeFeed,
	type SystemFeed,
	type StocksFeed,
	type MultiplexFeed,
	type TrainingJob
} from './stores';
export {
	startTraining,
	listTrainingJobs,
	cancelTraining,
	type StartTrainingOptions,
	type RestOptions
} from './training';
export { LiveFeedsError, type LiveFeedsErrorCode } from './errors';
export type {
	ConnectionState,
	ConnectionStatus,
	ConnectionStatusName,
	ConnectionError,
	FeedValue,
	FeedParseError,
	FeedSourceOptions,
	EventSourceConstructor,
	EventSourceLike,
	TimerFunctions,
	LifecycleSignals,
	LockManagerLike,
	BroadcastChannelLike,
	BroadcastChannelConstructor
} from './types';
