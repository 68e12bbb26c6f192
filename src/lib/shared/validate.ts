/**
 * Input validation shared by the server and the mock backend, so both answer bad input with
 * the same error bodies. Each parser returns `{ok: true, value}` or the contract's error.
 */
import { DEFAULTS, TOPICS, TRAINING_LIMITS, type Topic, type TrainingOptions } from './contract';
import { apiFailure, describeValue, type Parsed } from './errors';

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

/** Rejects query parameters a route does not know, and parameters given more than once. */
export function checkQuery(params: URLSearchParams, allowed: readonly string[]): Parsed<null> {
	const seen = new Set<string>();
	for (const key of params.keys()) {
		if (!allowed.includes(key)) {
			const known = allowed.length ? `; known: ${allowed.join(', ')}` : '';
			return apiFailure(
				400,
				'bad_parameter',
				`unknown query parameter ${describeValue(key)}${known}`
			);
		}
		if (seen.has(key)) {
			return apiFailure(
				400,
				'bad_parameter',
				`query parameter ${describeValue(key)} is given more than once`
			);
		}
		seen.add(key);
	}
	return ok(null);
}

/** Parses `symbols=AAPL,MSFT` against the configured symbols; absent means all of them. */
export function parseSymbols(raw: string | null, known: readonly string[]): Parsed<string[]> {
	if (raw === null) return ok([...known]);
	const symbols = raw.split(',').map((s) => s.trim());
	const unique: string[] = [];
	for (const symbol of symbols) {
		if (!known.includes(symbol)) {
			const what = symbol === '' ? 'an empty symbol' : `unknown symbol ${describeValue(symbol)}`;
			return apiFailure(400, 'bad_symbol', `${what}; known: ${known.join(', ')}`);
		}
		if (!unique.includes(symbol)) unique.push(symbol);
	}
	return ok(unique);
}

/** Parses a strict decimal integer: no sign tricks, no exponent, no spaces. */
function parseInteger(raw: string): number | null {
	if (!/^-?\d{1,15}$/.test(raw)) return null;
	return Number(raw);
}

/** Parses `interval_ms` for the system feed: an integer within 500–10000, default 1000. */
export function parseIntervalMs(raw: string | null): Parsed<number> {
	if (raw === null) return ok(DEFAULTS.systemIntervalMs);
	const value = parseInteger(raw);
	const { systemIntervalMinMs: min, systemIntervalMaxMs: max } = DEFAULTS;
	if (value === null || value < min || value > max) {
		return apiFailure(
			400,
			'bad_interval',
			`interval_ms must be an integer from ${min} to ${max}; got ${describeValue(raw)}`
		);
	}
	return ok(value);
}

/** Parses `history`: how many past events to send first, an integer within 0–500, default 0. */
export function parseHistory(raw: string | null): Parsed<number> {
	if (raw === null) return ok(0);
	const value = parseInteger(raw);
	if (value === null || value < 0 || value > DEFAULTS.historyMax) {
		return apiFailure(
			400,
			'bad_history',
			`history must be an integer from 0 to ${DEFAULTS.historyMax}; got ${describeValue(raw)}`
		);
	}
	return ok(value);
}

/** Parses `topics=time,system,stocks` for the multiplexed stream; absent means all three. */
export function parseTopics(raw: string | null): Parsed<Topic[]> {
	if (raw === null) return ok([...TOPICS]);
	const topics: Topic[] = [];
	for (const name of raw.split(',').map((s) => s.trim())) {
		const topic = TOPICS.find((t) => t === name);
		if (!topic) {
			const what = name === '' ? 'an empty topic' : `unknown topic ${describeValue(name)}`;
			return apiFailure(400, 'bad_topic', `${what}; known: ${TOPICS.join(', ')}`);
		}
		if (!topics.includes(topic)) topics.push(topic);
	}
	return ok(topics);
}

/** Validates the optional JSON body of `POST /api/training` (already parsed; `undefined` = no body). */
export function parseTrainingOptions(body: unknown): Parsed<TrainingOptions> {
	if (body === undefined) return ok({ ...DEFAULTS.training });
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return apiFailure(400, 'bad_body', 'the body must be a JSON object');
	}
	const options: TrainingOptions = { ...DEFAULTS.training };
	const fields = Object.keys(TRAINING_LIMITS) as (keyof TrainingOptions)[];
	for (const [key, value] of Object.entries(body)) {
		const field = fields.find((f) => f === key);
		if (!field) {
			return apiFailure(
				400,
				'unknown_field',
				`unknown field ${describeValue(key)}; known: ${fields.join(', ')}`
			);
		}
		const [min, max] = TRAINING_LIMITS[field];
		if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
			return apiFailure(400, 'bad_parameter', `${field} must be an integer from ${min} to ${max}`);
		}
		options[field] = value;
	}
	return ok(options);
}

/** Parses a single feed's `Last-Event-ID`: a decimal integer, else `null` (unrecognised). */
export function parseEventId(raw: string | null | undefined): number | null {
	if (raw === null || raw === undefined || !/^\d{1,16}$/.test(raw)) return null;
	const value = Number(raw);
	return Number.isSafeInteger(value) ? value : null;
}

/** Parses a multiplexed id such as `time=12;stocks=40` into each feed's position; junk is dropped. */
export function parseMultiplexId(raw: string | null | undefined): Partial<Record<Topic, number>> {
	const positions: Partial<Record<Topic, number>> = {};
	if (!raw) return positions;
	for (const part of raw.split(';')) {
		const [name, value] = part.split('=');
		const topic = TOPICS.find((t) => t === name);
		const id = parseEventId(value);
		if (topic && id !== null) positions[topic] = id;
	}
	return positions;
}

/** Formats each feed's position as a multiplexed id, in the order given. */
export function formatMultiplexId(
	positions: Partial<Record<Topic, number>>,
	topics: readonly Topic[]
): string {
	return topics
		.filter((t) => positions[t] !== undefined)
		.map((t) => `${t}=${positions[t]}`)
		.join(';');
}

/** Job ids: lower-case letters and digits, as the server makes them. */
export const JOB_ID_PATTERN = /^[a-z0-9]{8,32}$/;
