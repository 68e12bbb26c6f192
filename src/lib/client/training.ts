/**
 * The training REST calls: start, list and cancel jobs. A non-2xx answer becomes a
 * {@link LiveFeedsError} carrying the status and the contract's error code.
 */
import type {
	ApiErrorBody,
	TrainingCreated,
	TrainingJobInfo,
	TrainingJobList,
	TrainingOptions
} from '$lib/shared/contract';
import { TRAINING_PATH } from '$lib/shared/wire';
import { LiveFeedsError } from './errors';
import { trainingJob, type FeedHelperOptions, type TrainingJob } from './stores';
import { joinUrl } from './routing';

/** Options of {@link startTraining}: the job's settings (contract names, all optional) and the feed's. */
export type StartTrainingOptions = FeedHelperOptions & Partial<TrainingOptions>;

/** Options of the plain REST calls. */
export interface RestOptions {
	/** Where the API lives. Default: '' (same origin). */
	baseUrl?: string;
	/** The fetch implementation. Default: the global `fetch`. */
	fetch?: typeof fetch;
	/** Sends cookies cross-origin. Default: false. */
	withCredentials?: boolean;
}

const JOB_FIELDS = ['total_epochs', 'steps_per_epoch', 'step_ms', 'epoch_pause_ms'] as const;

function isApiErrorBody(value: unknown): value is ApiErrorBody {
	if (typeof value !== 'object' || value === null || !('error' in value)) return false;
	const error = value.error;
	return (
		typeof error === 'object' &&
		error !== null &&
		'code' in error &&
		typeof error.code === 'string' &&
		'message' in error &&
		typeof error.message === 'string'
	);
}

async function request(
	method: string,
	path: string,
	options: RestOptions,
	body?: unknown
): Promise<Response> {
	const url = joinUrl(options.baseUrl ?? '', path);
	const fetchImpl = options.fetch ?? globalThis.fetch;
	let response: Response;
	try {
		response = await fetchImpl(url, {
			method,
			headers:
				body === undefined
					? { accept: 'application/json' }
					: {
							accept: 'application/json',
							'content-type': 'application/json'
						},
			credentials: options.withCredentials ? 'include' : 'same-origin',
			...(body === undefined ? {} : { body: JSON.stringify(body) })
		});
	} catch (cause) {
		throw new LiveFeedsError(`${method} ${path} got no answer`, {
			status: null,
			code: 'network',
			cause
		});
	}
	if (response.ok) return response;
	const payload: unknown = await response.json().catch(() => null);
	if (isApiErrorBody(payload)) {
		throw new LiveFeedsError(`${method} ${path}: ${payload.error.message}`, {
			status: response.status,
			code: payload.error.code
		});
	}
	throw new LiveFeedsError(`${method} ${path} answered HTTP ${response.status}`, {
		status: response.status,
		code: 'http_error'
	});
}

/**
 * Starts a training job (`POST /api/training`) and returns its stream, not yet connected.
 * @example
 * const job = await startTraining({ total_epochs: 3 }); // $job.status, job.event('progress')
 */
export async function startTraining(options: StartTrainingOptions = {}): Promise<TrainingJob> {
	const body: Partial<TrainingOptions> = {};
	for (const field of JOB_FIELDS) {
		const value = options[field];
		if (value !== undefined) body[field] = value;
	}
	const feedOptions: FeedHelperOptions = { ...options };
	for (const field of JOB_FIELDS) delete (feedOptions as Partial<TrainingOptions>)[field];
	const response = await request('POST', TRAINING_PATH, options, body);
	const created = (await response.json()) as TrainingCreated;
	return trainingJob(created.id, feedOptions);
}

/** Lists the server's training jobs (`GET /api/training`). */
export async function listTrainingJobs(options: RestOptions = {}): Promise<TrainingJobInfo[]> {
	const response = await request('GET', TRAINING_PATH, options);
	return ((await response.json()) as TrainingJobList).jobs;
}

/** Cancels a running job (`DELETE /api/training/<id>`); a finished one throws code `already_finished`. */
export async function cancelTraining(id: string, options: RestOptions = {}): Promise<void> {
	const response = await request('DELETE', `${TRAINING_PATH}/${encodeURIComponent(id)}`, options);
	await response.text();
}
