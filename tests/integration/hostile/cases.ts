/**
 * The hostile-input table: every case is one bad request (or a burst of them) and what the built
 * server must answer. `runner.ts` sends them; `hostile.test.ts` runs this table. Statuses and
 * codes are the contract's (docs/CONTRACT.md, "Errors"); where Node answers before any of our
 * code can, `note` says what a client gets.
 */
import { chunked } from '../../support/raw-http';

/** A request `fetch` can send. */
export interface FetchRequest {
	method?: string;
	/** Path and query, sent as is (fetch still percent-encodes what a URL cannot hold). */
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

/** What the server must answer. */
export interface Expected {
	/** The status; `null` when the server closes without answering. */
	status: number | null;
	/** The contract's error code; every answer with a code is `{"error": {code, message}}`. */
	code?: string;
	/** An event stream (only its head is read). */
	stream?: boolean;
	/** Header values the answer must carry (`null`: must not carry). Names lower-case. */
	headers?: Record<string, string | null>;
	/** The body is empty (Node's own answer, or none). */
	emptyBody?: boolean;
}

/** One row of the table. */
export interface HostileCase {
	name: string;
	group: 'query' | 'path' | 'method' | 'body' | 'framing' | 'headers' | 'resume' | 'cors';
	/** Sent with `fetch`. */
	fetch?: FetchRequest;
	/**
	 * Written raw to a fresh socket, each part in its own write, for what `fetch` refuses. Each
	 * character is one byte (latin1), so `\xff` sends the byte 0xff.
	 */
	raw?: string[];
	/** Close the socket right after writing, without waiting for an answer. */
	abort?: boolean;
	/** Sent this many times at once. @default 1 */
	repeat?: number;
	expect: Expected;
	/** Input that must not come back anywhere in the answer. */
	mustNotEcho?: string[];
	/** What a client gets when Node (not our code) answers; copied to RELIABILITY.md. */
	note?: string;
}

const HOST = 'Host: 127.0.0.1\r\n';
const CLOSE = 'Connection: close\r\n';
const JSON_TYPE = 'Content-Type: application/json\r\n';

/** A raw request: the request line, `Host`, `Connection: close`, `extra` header lines, `body`. */
const raw = (line: string, extra = '', body = ''): string[] => [
	`${line}\r\n${HOST}${CLOSE}${extra}\r\n${body}`
];

/** A POST of `body` as JSON to /api/training, with fetch. */
const postJson = (body: string): FetchRequest => ({
	method: 'POST',
	path: '/api/training',
	headers: { 'content-type': 'application/json' },
	body
});

const bad = (status: number, code: string): Expected => ({ status, code });
const LONG = 'A'.repeat(5000);
const SCRIPT = '<script>alert(1)</script>';

/** Every hostile case the suite sends. */
export const HOSTILE_CASES: HostileCase[] = [
	// ---- query parameters ----
	{
		name: 'unknown symbol',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=XYZ' },
		expect: bad(400, 'bad_symbol')
	},
	{
		name: 'markup as a symbol',
		group: 'query',
		fetch: { path: `/api/feeds/stocks?symbols=${encodeURIComponent(SCRIPT)}` },
		expect: bad(400, 'bad_symbol'),
		mustNotEcho: ['<script', 'alert(1)']
	},
	{
		name: 'a 5,000-character symbol',
		group: 'query',
		fetch: { path: `/api/feeds/stocks?symbols=${LONG}` },
		expect: bad(400, 'bad_symbol'),
		mustNotEcho: ['AAAAAAAAAAAAAAAAA']
	},
	{
		name: 'NUL as a symbol',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=%00' },
		expect: bad(400, 'bad_symbol'),
		mustNotEcho: ['\u0000']
	},
	{
		name: 'CRLF header injection in a symbol',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=AAPL%0D%0AX-Injected:%201' },
		expect: { ...bad(400, 'bad_symbol'), headers: { 'x-injected': null } },
		mustNotEcho: ['X-Injected']
	},
	{
		name: 'an empty symbol between commas',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=AAPL,,MSFT' },
		expect: bad(400, 'bad_symbol')
	},
	{
		name: 'a parameter given twice',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=AAPL&symbols=MSFT' },
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'an unknown parameter',
		group: 'query',
		fetch: { path: '/api/feeds/time?debug=1' },
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'markup as a parameter name',
		group: 'query',
		fetch: { path: `/api/feeds/time?${encodeURIComponent('<img src=x onerror=alert(1)>')}=1` },
		expect: bad(400, 'bad_parameter'),
		mustNotEcho: ['<img', 'onerror']
	},
	{
		name: 'a non-ASCII parameter name',
		group: 'query',
		fetch: { path: `/api/feeds/time?${encodeURIComponent('☃\u202e')}=1` },
		expect: bad(400, 'bad_parameter'),
		mustNotEcho: ['☃', '\u202e']
	},
	{
		name: 'an 8 KB query string',
		group: 'query',
		fetch: { path: `/api/feeds/time?${'x'.repeat(8000)}=1` },
		expect: bad(400, 'bad_parameter'),
		mustNotEcho: ['xxxxxxxxxxxxxxxxx']
	},
	{
		name: 'interval_ms in exponent form',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=1e3' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'interval_ms in hex',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=0x3e8' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'interval_ms past 2^64',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=99999999999999999999999' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'interval_ms with a fraction',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=1000.0' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'interval_ms negative',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=-1000' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'interval_ms behind a zero-width space',
		group: 'query',
		fetch: { path: '/api/feeds/system?interval_ms=%E2%80%8B1000' },
		expect: bad(400, 'bad_interval'),
		mustNotEcho: ['\u200b']
	},
	{
		name: 'interval_ms below the range on the multiplexed stream',
		group: 'query',
		fetch: { path: '/api/feeds?topics=system&interval_ms=20' },
		expect: bad(400, 'bad_interval')
	},
	{
		name: 'an unknown topic',
		group: 'query',
		fetch: { path: '/api/feeds?topics=time,evil' },
		expect: bad(400, 'bad_topic')
	},
	{
		name: '__proto__ as a topic',
		group: 'query',
		fetch: { path: '/api/feeds?topics=__proto__' },
		expect: bad(400, 'bad_topic')
	},
	{
		name: 'constructor as a topic',
		group: 'query',
		fetch: { path: '/api/feeds?topics=constructor' },
		expect: bad(400, 'bad_topic')
	},
	{
		name: 'an empty topic list',
		group: 'query',
		fetch: { path: '/api/feeds?topics=' },
		expect: bad(400, 'bad_topic')
	},
	{
		name: 'lastEventId given twice',
		group: 'query',
		fetch: { path: '/api/feeds/time?lastEventId=1&lastEventId=2' },
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'a burst of 200 bad requests at once',
		group: 'query',
		fetch: { path: '/api/feeds/stocks?symbols=NOPE' },
		repeat: 200,
		expect: bad(400, 'bad_symbol')
	},

	// ---- paths ----
	{
		name: 'an unknown API path',
		group: 'path',
		fetch: { path: '/api/nope' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'a path under a stream',
		group: 'path',
		fetch: { path: '/api/feeds/time/extra' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'a path under /metrics',
		group: 'path',
		fetch: { path: '/metrics/x' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'encoded traversal as a job id',
		group: 'path',
		fetch: { path: '/api/training/..%2F..%2Fetc%2Fpasswd/events' },
		expect: bad(404, 'not_found'),
		mustNotEcho: ['passwd', '..']
	},
	{
		name: 'NUL as a job id',
		group: 'path',
		fetch: { path: '/api/training/%00/events' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'markup as a job id',
		group: 'path',
		fetch: { path: `/api/training/${encodeURIComponent(SCRIPT)}/events` },
		expect: bad(404, 'not_found'),
		mustNotEcho: ['<script', 'alert(1)']
	},
	{
		name: 'an upper-case job id',
		group: 'path',
		fetch: { path: '/api/training/ABCDEFGH12/events' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'a short unknown job id',
		group: 'path',
		fetch: { path: '/api/training/abcdefgh12/events' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'an encoded slash in a job id',
		group: 'path',
		fetch: { method: 'DELETE', path: '/api/training/x%2Fy' },
		expect: bad(404, 'not_found')
	},
	{
		name: 'a 4,000-character path',
		group: 'path',
		fetch: { path: `/api/${'a'.repeat(4000)}` },
		expect: bad(404, 'not_found'),
		mustNotEcho: ['aaaaaaaaaaaaaaaaa']
	},
	{
		name: 'dot segments that resolve to a real route',
		group: 'path',
		raw: raw('GET /api/x/../health HTTP/1.1'),
		expect: { status: 200 }
	},
	{
		name: 'an absolute-form request target',
		group: 'path',
		raw: raw('GET http://evil.example/api/nope HTTP/1.1'),
		expect: bad(404, 'not_found'),
		mustNotEcho: ['evil.example']
	},
	{
		name: 'an asterisk request target',
		group: 'path',
		raw: raw('OPTIONS * HTTP/1.1'),
		expect: bad(400, 'bad_request')
	},

	// ---- methods ----
	{
		name: 'POST to a stream',
		group: 'method',
		fetch: { method: 'POST', path: '/api/feeds/time', body: '{}' },
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'PUT to the training list',
		group: 'method',
		fetch: { method: 'PUT', path: '/api/training', body: '{}' },
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, POST, HEAD' } }
	},
	{
		name: 'DELETE of the training list',
		group: 'method',
		fetch: { method: 'DELETE', path: '/api/training' },
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, POST, HEAD' } }
	},
	{
		name: 'PATCH of health',
		group: 'method',
		fetch: { method: 'PATCH', path: '/api/health', body: '{}' },
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'PROPFIND of metrics',
		group: 'method',
		fetch: { method: 'PROPFIND', path: '/metrics' },
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'TRACE (a method Fetch forbids)',
		group: 'method',
		raw: raw('TRACE /api/health HTTP/1.1'),
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'TRACK',
		group: 'method',
		raw: raw('TRACK /api/feeds/time HTTP/1.1'),
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'CONNECT with a path',
		group: 'method',
		raw: raw('CONNECT /api/training HTTP/1.1'),
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, POST, HEAD' } }
	},
	{
		name: 'CONNECT to an authority (this is no proxy)',
		group: 'method',
		raw: raw('CONNECT evil.example:443 HTTP/1.1'),
		expect: bad(400, 'bad_request'),
		mustNotEcho: ['evil.example']
	},
	{
		name: 'a method token Node does not know',
		group: 'method',
		raw: raw('FOO /api/training HTTP/1.1'),
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, POST, HEAD' } }
	},
	{
		name: 'a lower-case method',
		group: 'method',
		raw: raw('get /api/health HTTP/1.1'),
		expect: { ...bad(405, 'method_not_allowed'), headers: { allow: 'GET, HEAD' } }
	},
	{
		name: 'an unknown method on an unknown path',
		group: 'method',
		raw: raw('FOO /api/nope HTTP/1.1'),
		expect: bad(404, 'not_found')
	},
	{
		name: 'HEAD of a stream is answered, not held open',
		group: 'method',
		fetch: { method: 'HEAD', path: '/api/feeds/time' },
		expect: { status: 200, emptyBody: true }
	},

	// ---- bodies ----
	{
		name: 'invalid JSON',
		group: 'body',
		fetch: postJson('{"total_epochs": '),
		expect: bad(400, 'bad_json')
	},
	{
		name: 'a JSON array',
		group: 'body',
		fetch: postJson('[1,2,3]'),
		expect: bad(400, 'bad_body')
	},
	{
		name: 'JSON null',
		group: 'body',
		fetch: postJson('null'),
		expect: bad(400, 'bad_body')
	},
	{
		name: 'a JSON string',
		group: 'body',
		fetch: postJson(JSON.stringify(SCRIPT)),
		expect: bad(400, 'bad_body'),
		mustNotEcho: ['<script']
	},
	{
		name: 'a __proto__ field',
		group: 'body',
		fetch: postJson('{"__proto__": {"total_epochs": 1}}'),
		expect: bad(400, 'unknown_field')
	},
	{
		name: 'a constructor field',
		group: 'body',
		fetch: postJson('{"constructor": {"prototype": {}}}'),
		expect: bad(400, 'unknown_field')
	},
	{
		name: 'a hostile field name',
		group: 'body',
		fetch: postJson(JSON.stringify({ [`${SCRIPT}${LONG}`]: 1 })),
		expect: bad(400, 'unknown_field'),
		mustNotEcho: ['<script', 'AAAAAAAAAAAAAAAAA']
	},
	{
		name: 'a fractional epoch count',
		group: 'body',
		fetch: postJson('{"total_epochs": 1.5}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'a number as a string',
		group: 'body',
		fetch: postJson('{"total_epochs": "10"}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'zero epochs',
		group: 'body',
		fetch: postJson('{"total_epochs": 0}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'one epoch past the range',
		group: 'body',
		fetch: postJson('{"total_epochs": 101}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'a negative step time',
		group: 'body',
		fetch: postJson('{"step_ms": -1}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'a number that overflows to Infinity',
		group: 'body',
		fetch: postJson('{"step_ms": 1e400}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'a boolean epoch count',
		group: 'body',
		fetch: postJson('{"total_epochs": true}'),
		expect: bad(400, 'bad_parameter')
	},
	{
		name: 'arrays nested 5,000 deep',
		group: 'body',
		fetch: postJson(`${'['.repeat(5000)}${']'.repeat(5000)}`),
		expect: bad(400, 'bad_body')
	},
	{
		name: 'bytes that are not UTF-8',
		group: 'body',
		raw: raw('POST /api/training HTTP/1.1', `${JSON_TYPE}Content-Length: 3\r\n`, '\xff\xfe\xfd'),
		expect: bad(400, 'bad_json')
	},
	{
		name: 'a body without Content-Type',
		group: 'body',
		raw: raw('POST /api/training HTTP/1.1', 'Content-Length: 19\r\n', '{"total_epochs": 1}'),
		expect: bad(400, 'bad_body')
	},
	{
		name: 'a 17 KB body with Content-Length',
		group: 'body',
		fetch: postJson(`{"total_epochs": 1${' '.repeat(17 * 1024)}}`),
		expect: bad(413, 'body_too_large')
	},
	{
		name: 'a 100 KB chunked body',
		group: 'body',
		raw: [
			`POST /api/training HTTP/1.1\r\n${HOST}${CLOSE}${JSON_TYPE}Transfer-Encoding: chunked\r\n\r\n`,
			chunked(`{"total_epochs": 1${' '.repeat(100_000)}}`, 60_000)
		],
		expect: bad(413, 'body_too_large')
	},
	{
		name: "a 600 KB chunked body (past adapter-node's BODY_SIZE_LIMIT)",
		group: 'body',
		raw: [
			`POST /api/training HTTP/1.1\r\n${HOST}${CLOSE}${JSON_TYPE}Transfer-Encoding: chunked\r\n\r\n`,
			chunked(`{"total_epochs": 1${' '.repeat(600_000)}}`, 60_000)
		],
		expect: bad(413, 'body_too_large')
	},
	{
		name: 'a declared Content-Length of 1 GB',
		group: 'body',
		raw: raw('POST /api/training HTTP/1.1', `${JSON_TYPE}Content-Length: 1000000000\r\n`, '{'),
		expect: { ...bad(413, 'body_too_large'), headers: { connection: 'close' } }
	},

	// ---- framing that Node's parser refuses ----
	{
		name: 'a bad chunk size',
		group: 'framing',
		raw: raw(
			'POST /api/training HTTP/1.1',
			`${JSON_TYPE}Transfer-Encoding: chunked\r\n`,
			'5\r\n{"tot\r\nzz\r\n'
		),
		expect: { ...bad(400, 'bad_request'), headers: { connection: 'close' } },
		note: "Node's parser refuses it; the guard answers JSON 400 and closes"
	},
	{
		name: 'both Content-Length and Transfer-Encoding',
		group: 'framing',
		raw: raw(
			'POST /api/training HTTP/1.1',
			`${JSON_TYPE}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n`,
			'0\r\n\r\n'
		),
		expect: bad(400, 'bad_request'),
		note: "request smuggling shape: Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a negative Content-Length',
		group: 'framing',
		raw: raw('POST /api/training HTTP/1.1', 'Content-Length: -1\r\n'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'two different Content-Lengths',
		group: 'framing',
		raw: raw('POST /api/training HTTP/1.1', 'Content-Length: 2\r\nContent-Length: 3\r\n', '{}'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a Transfer-Encoding other than chunked',
		group: 'framing',
		raw: raw('POST /api/training HTTP/1.1', 'Transfer-Encoding: gzip\r\n', '{}'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a body cut off mid-way',
		group: 'framing',
		raw: [`POST /api/training HTTP/1.1\r\n${HOST}${JSON_TYPE}Content-Length: 1000\r\n\r\n{"tota`],
		abort: true,
		expect: { status: null },
		note: 'the client is gone: no answer, and nothing in the log'
	},
	{
		name: 'an HTTP/2 preface on the HTTP/1.1 port',
		group: 'framing',
		raw: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
		expect: bad(400, 'bad_request'),
		note: 'no h2c here: JSON 400, connection closed'
	},
	{
		name: 'an HTTP/0.9 request line',
		group: 'framing',
		raw: ['GET /api/health\r\n\r\n'],
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400 (as HTTP/1.1), connection closed"
	},
	{
		name: 'an unknown HTTP version',
		group: 'framing',
		raw: raw('GET /api/health HTTP/9.9'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a space inside the path',
		group: 'framing',
		raw: raw('GET /api/he alth HTTP/1.1'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'binary garbage',
		group: 'framing',
		raw: ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n'],
		expect: bad(400, 'bad_request'),
		note: "a TLS ClientHello on the plain port: Node's parser refuses it; JSON 400"
	},

	// ---- headers ----
	{
		name: 'no Host header',
		group: 'headers',
		raw: ['GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n'],
		expect: { status: 400, emptyBody: true },
		note: 'Node answers alone (requireHostHeader), before any JavaScript of ours: 400, empty body, Connection: close'
	},
	{
		name: 'a Host with a space',
		group: 'headers',
		raw: [`GET /api/health HTTP/1.1\r\nHost: a b\r\n${CLOSE}\r\n`],
		expect: bad(400, 'bad_request')
	},
	{
		name: 'an empty Host',
		group: 'headers',
		raw: [`GET /api/health HTTP/1.1\r\nHost: \r\n${CLOSE}\r\n`],
		expect: bad(400, 'bad_request')
	},
	{
		name: 'an unclosed IPv6 Host',
		group: 'headers',
		raw: [`GET /api/health HTTP/1.1\r\nHost: [::1\r\n${CLOSE}\r\n`],
		expect: bad(400, 'bad_request')
	},
	{
		name: 'a NUL in a header value',
		group: 'headers',
		raw: raw('GET /api/health HTTP/1.1', 'X-Test: a\x00b\r\n'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a header line without a colon',
		group: 'headers',
		raw: raw('GET /api/health HTTP/1.1', 'Bad Header\r\n'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'an obsolete folded header line',
		group: 'headers',
		raw: raw('GET /api/health HTTP/1.1', 'X-Test: a\r\n folded\r\n'),
		expect: bad(400, 'bad_request'),
		note: "Node's parser refuses it; JSON 400, connection closed"
	},
	{
		name: 'a 20 KB header',
		group: 'headers',
		raw: raw('GET /api/health HTTP/1.1', `X-Big: ${'a'.repeat(20_000)}\r\n`),
		expect: bad(431, 'bad_request'),
		note: "past Node's 16 KiB header limit: JSON 431, connection closed"
	},
	{
		name: '2,000 header fields',
		group: 'headers',
		raw: raw(
			'GET /api/health HTTP/1.1',
			Array.from({ length: 2000 }, (_, i) => `X-${i}: 1\r\n`).join('')
		),
		expect: { status: 200 },
		note: 'served: Node keeps the first 2,000 fields (maxHeadersCount) and drops the rest'
	},
	{
		name: 'a stream asked for as HTML',
		group: 'headers',
		fetch: { path: '/api/feeds/time', headers: { accept: 'text/html' } },
		expect: { status: 200, stream: true }
	},

	// ---- resume ----
	{
		name: 'a Last-Event-ID past 2^64',
		group: 'resume',
		fetch: { path: '/api/feeds/time', headers: { 'last-event-id': '9'.repeat(30) } },
		expect: { status: 200, stream: true }
	},
	{
		name: 'a negative Last-Event-ID',
		group: 'resume',
		fetch: { path: '/api/feeds/stocks', headers: { 'last-event-id': '-1' } },
		expect: { status: 200, stream: true }
	},
	{
		name: 'markup as a multiplexed Last-Event-ID',
		group: 'resume',
		fetch: { path: `/api/feeds?topics=time&lastEventId=${encodeURIComponent(SCRIPT)}` },
		expect: { status: 200, stream: true },
		mustNotEcho: ['<script']
	},
	{
		name: 'a multiplexed id naming unknown feeds',
		group: 'resume',
		fetch: { path: '/api/feeds?topics=time', headers: { 'last-event-id': 'evil=1;time=x;=' } },
		expect: { status: 200, stream: true }
	},
	{
		name: 'a Last-Event-ID for an unknown job',
		group: 'resume',
		fetch: { path: '/api/training/abcdefgh12/events', headers: { 'last-event-id': '5' } },
		expect: bad(404, 'not_found')
	},

	// ---- CORS ----
	{
		name: 'an origin that is not allowed, with credentials',
		group: 'cors',
		fetch: { path: '/api/health', headers: { origin: 'https://evil.example', cookie: 'a=b' } },
		expect: {
			status: 200,
			headers: {
				'access-control-allow-origin': null,
				'access-control-allow-credentials': null,
				vary: 'Origin'
			}
		}
	},
	{
		name: 'a preflight from an origin that is not allowed',
		group: 'cors',
		fetch: {
			method: 'OPTIONS',
			path: '/api/training',
			headers: {
				origin: 'https://evil.example',
				'access-control-request-method': 'POST',
				'access-control-request-headers': 'content-type'
			}
		},
		expect: {
			status: 204,
			emptyBody: true,
			headers: { 'access-control-allow-origin': null, 'access-control-allow-methods': null }
		}
	},
	{
		name: 'the null origin',
		group: 'cors',
		fetch: { path: '/api/health', headers: { origin: 'null' } },
		expect: { status: 200, headers: { 'access-control-allow-origin': null } }
	}
];
