/**
 * Values that a store in this process answers at once and a shared store (Redis) answers later,
 * handled without making the in-process path async.
 */

/** What a call may answer at once (in this process) or later (from a shared store). */
export type MaybePromise<T> = T | Promise<T>;

/** `fn(value)`, at once when `value` is not a promise. */
export function andThen<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
	return value instanceof Promise ? value.then(fn) : fn(value);
}
