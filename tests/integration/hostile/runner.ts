/**
 * Runs a table of hostile cases against the built server (`npm start`'s entry, its own process
 * on 127.0.0.1 and an ephemeral port, so its log can be read), with one healthy EventSource
 * client on the same server the whole time. Each case asserts its status, the contract's JSON
 * error body, that no rejected value is echoed outside the contract's rule, that neither the
 * answer nor the log holds a stack trace, that the server did not exit, and that the healthy
 * client is still connected. The figures of a run go to a `*.reliability.json` that
 * `scripts/reliability-report.js` turns into RELIABILITY.md.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer, type Started } from '../../support/processes';
import { STACK_LINE, rawRequest } from '../../support/raw-http';
import { watch, type Watcher } from '../server/app';
import type { HostileCase } from './cases';

/** The contract's rule for a value a message may quote (docs/CONTRACT.md, "Errors"). */
const QUOTABLE = /^[A-Za-z0-9._-]{1,16}$/;

/** One answer, whether it came over fetch or a raw socket. */
interface Answer {
	status: number | null;
	headers: Record<string, string>;
	body: string;
	/** Headers and body as one text, to search for echoes. */
	text: string;
}

/** Figures of one run, as `*.reliability.json` holds them. */
interface Figures {
	cases: number;
	requests: number;
	statuses: Record<string, number>;
	crashes: number;
	server_errors: number;
	stack_traces: number;
	echoes: number;
	healthy_client_reconnects: number;
	healthy_client_lost_events: number;
}

/** Options of `describeHostile`. */
export interface HostileOptions {
	/** Environment of the server. @default {} */
	env?: Record<string, string>;
	/** Values for `{name}` placeholders in the cases' requests and `mustNotEcho`, made once the server is up. */
	placeholders?: (base: string) => Promise<Record<string, string>>;
	/** Where to write the run's figures (a `*.reliability.json`); none when omitted. */
	figures?: { file: string; suite: string; title: string; source: string };
}

function fill(text: string, values: Record<string, string>): string {
	return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

async function send(server: Started, c: HostileCase, values: Record<string, string>) {
	if (c.raw) {
		const answer = await rawRequest(
			server.port,
			c.raw.map((part) => fill(part, values)),
			{ abort: c.abort }
		);
		return { status: answer.status, headers: answer.headers, body: answer.body, text: answer.raw };
	}
	const request = c.fetch!;
	try {
		const response = await fetch(`${server.url}${fill(request.path, values)}`, {
			method: request.method ?? 'GET',
			headers: request.headers,
			body: request.body,
			redirect: 'manual',
			signal: AbortSignal.timeout(10_000)
		});
		const headers = Object.fromEntries(response.headers);
		const streaming = headers['content-type']?.startsWith('text/event-stream');
		// A stream never ends: its head is the answer.
		const body = streaming ? (await response.body?.cancel(), '') : await response.text();
		const text = `${Object.entries(headers)
			.map(([k, v]) => `${k}: ${v}`)
			.join('\n')}\n\n${body}`;
		return { status: response.status, headers, body, text };
	} catch {
		return { status: null, headers: {}, body: '', text: '' };
	}
}

/** What is wrong with `answer` for case `c`; empty when nothing is. */
function problemsOf(
	c: HostileCase,
	answer: Answer,
	values: Record<string, string>
): { problems: string[]; echoed: boolean } {
	const problems: string[] = [];
	let echoed = false;
	const want = c.expect;
	if (answer.status !== want.status) problems.push(`status ${answer.status}, want ${want.status}`);
	if (want.code) {
		let body: unknown;
		try {
			body = JSON.parse(answer.body);
		} catch {
			problems.push(`body is not JSON: ${JSON.stringify(answer.body.slice(0, 200))}`);
		}
		if (!answer.headers['content-type']?.startsWith('application/json')) {
			problems.push(`content-type ${answer.headers['content-type']}`);
		}
		const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
		if (
			Object.keys(body ?? {}).join() !== 'error' ||
			Object.keys(error ?? {})
				.sort()
				.join() !== 'code,message' ||
			typeof error?.message !== 'string'
		) {
			problems.push(`not the contract's error body: ${answer.body.slice(0, 200)}`);
		} else {
			if (error.code !== want.code) problems.push(`code ${error.code}, want ${want.code}`);
			const message = error.message as string;
			for (const [, quoted] of message.matchAll(/'([^']*)'/g)) {
				if (!QUOTABLE.test(quoted ?? '')) {
					echoed = true;
					problems.push(`message quotes a value outside the rule: ${JSON.stringify(quoted)}`);
				}
			}
			// eslint-disable-next-line no-control-regex
			if (/[\u0000-\u001f\u007f-\uffff]/.test(message)) {
				problems.push(`message carries control or non-ASCII characters`);
			}
		}
	}
	if (want.emptyBody && answer.body !== '') problems.push(`body not empty: ${answer.body}`);
	if (want.stream && !answer.headers['content-type']?.startsWith('text/event-stream')) {
		problems.push(`not an event stream: ${answer.headers['content-type']}`);
	}
	for (const [name, value] of Object.entries(want.headers ?? {})) {
		const got = answer.headers[name] ?? null;
		if (got !== value) problems.push(`header ${name}: ${got}, want ${value}`);
	}
	for (const secret of (c.mustNotEcho ?? []).map((s) => fill(s, values))) {
		if (answer.text.includes(secret)) {
			echoed = true;
			problems.push(`answer echoes ${JSON.stringify(secret.slice(0, 40))}`);
		}
	}
	if (STACK_LINE.test(answer.body)) problems.push('stack trace in the body');
	return { problems, echoed };
}

/** Declares one test per case of `cases`, and one for the healthy client, on a built server. */
export function describeHostile(title: string, cases: HostileCase[], options: HostileOptions = {}) {
	describe(title, () => {
		let server: Started;
		let healthy: Watcher;
		let values: Record<string, string> = {};
		let ran = 0;
		const figures: Figures = {
			cases: cases.length,
			requests: 0,
			statuses: {},
			crashes: 0,
			server_errors: 0,
			stack_traces: 0,
			echoes: 0,
			healthy_client_reconnects: 0,
			healthy_client_lost_events: 0
		};

		beforeAll(async () => {
			server = await startBuiltServer(options.env);
			healthy = watch(`${server.url}/api/feeds/time`);
			await healthy.until(1);
			values = (await options.placeholders?.(server.url)) ?? {};
		});

		afterAll(async () => {
			healthy?.close();
			await server?.stop();
			// Only a whole run's figures are figures (not those of a `-t` filter or a failed start).
			if (options.figures && server && ran === cases.length + 1) {
				const { file, suite, title: heading, source } = options.figures;
				const statuses = Object.entries(figures.statuses).sort(([a], [b]) => a.localeCompare(b));
				const notes = cases.filter((c) => c.note).map((c) => [c.name, c.note ?? '']);
				const report = {
					suite,
					title: heading,
					source,
					figures: [
						{ name: 'hostile cases', value: figures.cases },
						{ name: 'requests sent', value: figures.requests },
						{ name: 'server crashes (process exits)', value: figures.crashes },
						{ name: '5xx answers', value: figures.server_errors },
						{ name: 'stack traces (answers and log)', value: figures.stack_traces },
						{ name: 'answers echoing a rejected value', value: figures.echoes },
						{ name: 'healthy client: reconnects', value: figures.healthy_client_reconnects },
						{ name: 'healthy client: events lost', value: figures.healthy_client_lost_events }
					],
					tables: [
						{
							title: 'Answers by status',
							columns: ['status', 'answers'],
							rows: statuses.map(([status, count]) => [status, count])
						},
						{
							title: 'What a client gets when Node, not a route, answers',
							columns: ['input', 'answer'],
							rows: notes
						}
					]
				};
				writeFileSync(file, JSON.stringify(report, null, '\t') + '\n');
			}
		});

		it.each(cases)('$group: $name', async (c) => {
			ran++;
			const logAt = server.output().length;
			const answers = await Promise.all(
				Array.from({ length: c.repeat ?? 1 }, () => send(server, c, values))
			);
			const problems = new Set<string>();
			for (const answer of answers) {
				figures.requests++;
				const key = answer.status === null ? 'no answer' : String(answer.status);
				figures.statuses[key] = (figures.statuses[key] ?? 0) + 1;
				if (answer.status !== null && answer.status >= 500) figures.server_errors++;
				const found = problemsOf(c, answer, values);
				if (found.echoed) figures.echoes++;
				if (STACK_LINE.test(answer.body)) figures.stack_traces++;
				for (const problem of found.problems) problems.add(problem);
			}
			// The next answer is written after anything this case made the server log.
			await fetch(`${server.url}/api/health`).then((r) => r.text());
			const log = server.output().slice(logAt);
			if (STACK_LINE.test(log)) figures.stack_traces++;
			if (server.child.exitCode !== null) figures.crashes++;
			expect(server.child.exitCode, 'the server exited').toBeNull();
			expect(log, 'the log has a stack trace').not.toMatch(STACK_LINE);
			expect(healthy.errors, 'the healthy client saw an error').toEqual([]);
			expect([...problems]).toEqual([]);
		});

		it('kept a healthy EventSource client connected and receiving every event throughout', async () => {
			ran++;
			const seen = healthy.events.length;
			await healthy.until(seen + 2);
			const ids = healthy.events.map((e) => Number(e.lastEventId));
			const lost = ids.slice(1).reduce((sum, id, i) => sum + (id - ids[i]! - 1), 0);
			figures.healthy_client_reconnects = healthy.opened - 1;
			figures.healthy_client_lost_events = lost;
			expect(healthy.opened).toBe(1);
			expect(healthy.errors).toEqual([]);
			expect(lost).toBe(0);
			expect(server.output()).not.toMatch(STACK_LINE);
		});
	});
}
