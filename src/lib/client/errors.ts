import type { ApiErrorCode } from '$lib/shared/contract';

/** What went wrong: the contract's code, or `network` (no answer) / `http_error` (no contract body). */
export type LiveFeedsErrorCode = ApiErrorCode | 'network' | 'http_error';

/** The one error the client library throws; its message starts with `LiveFeeds:`. */
export class LiveFeedsError extends Error {
	override name = 'LiveFeedsError';
	/** The HTTP status, or null when there was no answer. */
	readonly status: number | null;
	readonly code: LiveFeedsErrorCode;

	constructor(
		message: string,
		details: { status: number | null; code: LiveFeedsErrorCode; cause?: unknown }
	) {
		super(
			`LiveFeeds: ${message}`,
			details.cause === undefined ? undefined : { cause: details.cause }
		);
		this.status = details.status;
		this.code = details.code;
	}
}
