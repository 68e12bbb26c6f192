import type { ApiErrorBody, ApiErrorCode } from './contract';

/** A rejected request: the HTTP status and the contract's error body, plus optional headers. */
export interface ApiFailure {
	ok: false;
	status: number;
	body: ApiErrorBody;
	headers?: Record<string, string>;
}

/** The result of validating one input: its parsed value, or the error to answer with. */
export type Parsed<T> = { ok: true; value: T } | ApiFailure;

/** Builds the contract's error answer. */
export function apiFailure(
	status: number,
	code: ApiErrorCode,
	message: string,
	headers?: Record<string, string>
): ApiFailure {
	return { ok: false, status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

const QUOTABLE = /^[A-Za-z0-9._-]{1,16}$/;

/**
 * Names a rejected value for an error message: quoted when it is short and plain, otherwise
 * described without echoing it, so a message can never carry markup or control characters back.
 */
export function describeValue(value: string): string {
	if (QUOTABLE.test(value)) return `'${value}'`;
	if (value.length === 0) return 'an empty value';
	return `a value of ${value.length} characters that is not a plain token`;
}
