/**
 * Fuzzing the body reader: any bytes, in any chunking, with or without a failing stream, give
 * a parsed value or the contract's error, never a throw, and the chunking never changes which.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonBody } from './http';

const CAP = 1024;

/** A POST whose body streams `chunks`, then errors with `failure` if one is given. */
function request(chunks: Uint8Array[], failure?: unknown): Request {
	let at = 0;
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (at < chunks.length) controller.enqueue(chunks[at++]!);
			else if (failure !== undefined) controller.error(failure);
			else controller.close();
		}
	});
	return new Request('http://feeds.test/api/training', {
		method: 'POST',
		body,
		duplex: 'half'
	} as RequestInit);
}

/** Splits `bytes` at `cuts`. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
	const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
	const chunks: Uint8Array[] = [];
	let from = 0;
	for (const point of [...points, bytes.length]) {
		if (point > from) chunks.push(bytes.slice(from, point));
		from = point;
	}
	return chunks;
}

/** Bodies: JSON texts, near-JSON, and raw bytes, some past the cap. */
const bodies = fc.oneof(
	fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
	fc.string({ unit: 'binary', maxLength: 60 }).map((s) => new TextEncoder().encode(s)),
	fc.uint8Array({ maxLength: 80 }),
	fc
		.integer({ min: CAP - 8, max: CAP * 3 })
		.map((n) => new TextEncoder().encode(`"${'x'.repeat(n)}"`))
);

/** What readJsonBody must make of `bytes` when they arrive whole. */
function expected(bytes: Uint8Array) {
	if (bytes.length > CAP) return { status: 413 };
	const text = new TextDecoder().decode(bytes);
	if (text.trim() === '') return { ok: true, value: undefined };
	try {
		return { ok: true, value: JSON.parse(text) as unknown };
	} catch {
		return { status: 400, body: { error: { code: 'bad_json' } } };
	}
}

describe('readJsonBody under fuzzing', () => {
	it('parses or refuses any bytes, the same way in any chunking', async () => {
		await fc.assert(
			fc.asyncProperty(bodies, fc.array(fc.nat(), { maxLength: 6 }), async (bytes, cuts) => {
				const whole = await readJsonBody(request([bytes]), CAP);
				const chunked = await readJsonBody(request(split(bytes, cuts)), CAP);
				expect(whole).toMatchObject(expected(bytes));
				expect(chunked).toEqual(whole);
			}),
			{ numRuns: 500 }
		);
	});

	it('answers a stream that fails anywhere with 400 or 413, never a throw', async () => {
		const failures = fc.oneof(
			fc.constant(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })),
			fc.constant(Object.assign(new Error('request body size exceeded'), { status: 413 })),
			fc.anything()
		);
		await fc.assert(
			fc.asyncProperty(
				bodies,
				fc.array(fc.nat(), { maxLength: 4 }),
				failures.filter((f) => f !== undefined),
				async (bytes, cuts, failure) => {
					const result = await readJsonBody(request(split(bytes, cuts), failure), CAP);
					expect(result.ok).toBe(false);
					if (!result.ok) expect([400, 413]).toContain(result.status);
				}
			),
			{ numRuns: 300 }
		);
	});
});
