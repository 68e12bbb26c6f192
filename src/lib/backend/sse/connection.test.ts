import { describe, expect, it, vi } from 'vitest';
import { SseConnection, toBytes } from './connection';

const chunk = (size: number, fill = 'x') => toBytes(fill.repeat(size));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Lets the stream run its pending pull() calls. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function backlogOf(chunks: Uint8Array[], done: () => void = () => {}) {
	let i = 0;
	return {
		next: () => chunks[i++] ?? null,
		done,
		get served() {
			return i;
		}
	};
}

describe('SseConnection', () => {
	it('queues writes within the budget and counts the bytes', async () => {
		const connection = new SseConnection({ maxBufferBytes: 100 });
		expect(connection.write(chunk(60))).toBe(true);
		expect(connection.write(chunk(40))).toBe(true);
		expect(connection.bufferedBytes).toBe(100);
		expect(connection.bytesWritten).toBe(100);
		const reader = connection.stream.getReader();
		expect((await reader.read()).value?.byteLength).toBe(60);
		expect(connection.bufferedBytes).toBe(40);
	});

	it('drops a client over its buffer once, with onClose("slow"), and later writes are no-ops', async () => {
		const onClose = vi.fn();
		const connection = new SseConnection({ maxBufferBytes: 100, onClose });
		expect(connection.write(chunk(80))).toBe(true);
		expect(connection.write(chunk(21))).toBe(false);
		expect(connection.closed).toBe(true);
		expect(onClose).toHaveBeenCalledTimes(1);
		expect(onClose).toHaveBeenCalledWith('slow');
		expect(connection.write(chunk(1))).toBe(false);
		connection.close('end', 1000);
		expect(onClose).toHaveBeenCalledTimes(1);
		expect(connection.bufferedBytes).toBe(0);
		// The stream is errored: the unread bytes are discarded, not kept for a dead client.
		await expect(connection.stream.getReader().read()).rejects.toThrow(/too slow/);
	});

	it('keeps a client that reads, however much passes through', async () => {
		const onClose = vi.fn();
		const connection = new SseConnection({ maxBufferBytes: 100, onClose });
		const reader = connection.stream.getReader();
		for (let i = 0; i < 50; i++) {
			expect(connection.write(chunk(90))).toBe(true);
			await reader.read();
		}
		expect(connection.bytesWritten).toBe(4500);
		expect(onClose).not.toHaveBeenCalled();
	});

	it('pulls a replay lazily: a backlog many times the budget never drops the client', async () => {
		const onClose = vi.fn();
		const done = vi.fn();
		const connection = new SseConnection({ maxBufferBytes: 1000, onClose });
		const chunks = Array.from({ length: 50 }, (_, i) => chunk(100, String(i % 10)));
		const backlog = backlogOf(chunks, done);
		connection.replay(backlog);
		expect(connection.replaying).toBe(true);
		// Only about the budget is queued while nobody reads.
		await settle();
		expect(backlog.served).toBeLessThanOrEqual(6);
		// The replay leaves room: a ping written meanwhile does not drop the client.
		expect(connection.write(chunk(10))).toBe(true);
		const reader = connection.stream.getReader();
		let received = '';
		while (connection.replaying) received += decode((await reader.read()).value!);
		expect(done).toHaveBeenCalledTimes(1);
		expect(onClose).not.toHaveBeenCalled();
		// A live event right after a long replay is not counted against the replay's bytes.
		expect(connection.write(chunk(100, 'L'))).toBe(true);
		expect(onClose).not.toHaveBeenCalled();
		while (!received.endsWith('L'.repeat(100))) received += decode((await reader.read()).value!);
		const expected = chunks.map(decode).join('');
		// The write made during the replay went out between replay chunks; nothing was lost.
		expect(received.replace('x'.repeat(10), '')).toBe(expected + 'L'.repeat(100));
	});

	it('ends after close with the retry field, calling onClose once', async () => {
		const onClose = vi.fn();
		const connection = new SseConnection({ maxBufferBytes: 1000, onClose });
		connection.write(toBytes('data: 1\n\n'));
		connection.close('shutdown', 2500.4);
		connection.close('end');
		expect(onClose).toHaveBeenCalledExactlyOnceWith('shutdown');
		const text = await new Response(connection.stream).text();
		expect(text).toBe('data: 1\n\nretry: 2500\n\n');
	});

	it('closes with reason "client" when the reader cancels or the request aborts', async () => {
		const cancelled = vi.fn();
		const a = new SseConnection({ maxBufferBytes: 100, onClose: cancelled });
		await a.stream.cancel();
		expect(cancelled).toHaveBeenCalledExactlyOnceWith('client');
		expect(a.write(chunk(1))).toBe(false);

		const controller = new AbortController();
		const aborted = vi.fn();
		const b = new SseConnection({
			maxBufferBytes: 100,
			onClose: aborted,
			signal: controller.signal
		});
		controller.abort();
		controller.abort();
		expect(aborted).toHaveBeenCalledExactlyOnceWith('client');
		expect(b.closed).toBe(true);

		const c = vi.fn();
		new SseConnection({ maxBufferBytes: 100, onClose: c, signal: AbortSignal.abort() });
		await settle();
		expect(c).toHaveBeenCalledExactlyOnceWith('client');
	});

	it('tracks when bytes were last queued', () => {
		let now = 5;
		const connection = new SseConnection({ maxBufferBytes: 100, now: () => now });
		expect(connection.lastWriteAt).toBe(5);
		now = 9;
		connection.write(chunk(1));
		expect(connection.lastWriteAt).toBe(9);
	});
});
