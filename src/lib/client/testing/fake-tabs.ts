/**
 * Several browser tabs of one origin inside one test: each tab gets its own Web Locks handle,
 * `BroadcastChannel` class and fake EventSource class, over one shared lock table and channel
 * bus. Locks are granted and messages delivered in microtasks, like the browser's (asynchronous,
 * in order per sender), and a tab can close cleanly or crash.
 */
import type { BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from '../types';
import { createFakeEventSource, type FakeEventSourceKit } from './fake-event-source';

interface LockRequest {
	tab: FakeTab;
	callback: (lock: unknown) => Promise<void>;
	resolve: (value?: unknown) => void;
	reject: (reason: unknown) => void;
}

interface LockEntry {
	holder: LockRequest | null;
	queue: LockRequest[];
}

/** One tab: what it injects into the stores, and what the test does to it. */
export interface FakeTab {
	/** Inject as `locks`. */
	readonly locks: LockManagerLike;
	/** Inject as `BroadcastChannel`. */
	readonly BroadcastChannel: BroadcastChannelConstructor;
	/** This tab's EventSource class (inject as `EventSource`) and its instances. */
	readonly es: FakeEventSourceKit;
	/** The tab died: its locks are freed, its channels and EventSources close, nothing says goodbye. */
	crash(): void;
}

/** The browser: tabs sharing one lock table and one channel bus. */
export interface FakeBrowser {
	/** Opens a new tab. */
	tab(): FakeTab;
	/** The names of the locks held now. */
	heldLocks(): string[];
	/** Every message posted so far, as `[channel name, message]`. */
	readonly posted: [string, unknown][];
}

function abortError(): Error {
	return Object.assign(new Error('The request was aborted'), { name: 'AbortError' });
}

/** Creates a {@link FakeBrowser}. */
export function createFakeBrowser(): FakeBrowser {
	const locks = new Map<string, LockEntry>();
	const channels = new Map<string, Set<{ tab: FakeTab; channel: BroadcastChannelLike }>>();
	const posted: [string, unknown][] = [];

	function grant(name: string): void {
		const entry = locks.get(name);
		if (!entry || entry.holder) return;
		const next = entry.queue.shift();
		if (!next) return;
		entry.holder = next;
		queueMicrotask(() => {
			if (entry.holder !== next) return;
			next.callback({ name }).then(
				() => free(name, next),
				() => free(name, next)
			);
		});
	}

	function free(name: string, request: LockRequest): void {
		const entry = locks.get(name);
		if (!entry || entry.holder !== request) return;
		entry.holder = null;
		request.resolve();
		grant(name);
	}

	function tab(): FakeTab {
		const open = new Set<{ name: string; channel: BroadcastChannelLike }>();
		const es = createFakeEventSource();
		const self: FakeTab = {
			locks: {
				request(name, options, callback) {
					return new Promise((resolve, reject) => {
						if (options.signal?.aborted) return reject(abortError());
						const request: LockRequest = { tab: self, callback, resolve, reject };
						const entry = locks.get(name) ?? { holder: null, queue: [] };
						locks.set(name, entry);
						entry.queue.push(request);
						options.signal?.addEventListener('abort', () => {
							const at = entry.queue.indexOf(request);
							if (at === -1) return;
							entry.queue.splice(at, 1);
							reject(abortError());
						});
						grant(name);
					});
				}
			},
			BroadcastChannel: class FakeBroadcastChannel implements BroadcastChannelLike {
				onmessage: ((event: MessageEvent) => void) | null = null;
				readonly #name: string;
				readonly #entry: { tab: FakeTab; channel: BroadcastChannelLike };
				#closed = false;

				constructor(name: string) {
					this.#name = name;
					this.#entry = { tab: self, channel: this };
					const members = channels.get(name) ?? new Set();
					channels.set(name, members);
					members.add(this.#entry);
					open.add({ name, channel: this });
				}

				postMessage(message: unknown): void {
					if (this.#closed) throw new Error('InvalidStateError: the channel is closed');
					posted.push([this.#name, message]);
					for (const member of channels.get(this.#name) ?? []) {
						if (member === this.#entry) continue;
						// Structured clone, as the browser does: no shared objects between tabs.
						const data = structuredClone(message);
						queueMicrotask(() => {
							if (channels.get(this.#name)?.has(member)) {
								member.channel.onmessage?.(new MessageEvent('message', { data }));
							}
						});
					}
				}

				close(): void {
					this.#closed = true;
					channels.get(this.#name)?.delete(this.#entry);
				}
			},
			es,
			crash() {
				for (const { channel } of open) channel.close();
				for (const [name, entry] of locks) {
					entry.queue = entry.queue.filter((request) => request.tab !== self);
					if (entry.holder?.tab === self) {
						const holder = entry.holder;
						entry.holder = null;
						holder.reject(abortError());
						grant(name);
					}
				}
				for (const source of es.instances) source.close();
			}
		};
		return self;
	}

	return {
		tab,
		heldLocks: () => [...locks].filter(([, entry]) => entry.holder).map(([name]) => name),
		posted
	};
}
