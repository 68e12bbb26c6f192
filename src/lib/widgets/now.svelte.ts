/** Small runes the widgets share: a ticking "now" and a throttled live-region text. */
import { createAnnouncer } from './announcer';

/** Reactive epoch ms, refreshed every `intervalMs`; call during component initialisation. */
export function useNow(intervalMs = 1000): { readonly current: number } {
	let now = $state.raw(Date.now());
	// Effects never run during SSR, so the server renders once and nothing keeps ticking there.
	$effect(() => {
		now = Date.now();
		const handle = setInterval(() => (now = Date.now()), intervalMs);
		return () => clearInterval(handle);
	});
	return {
		get current() {
			return now;
		}
	};
}

/** The text of a polite live region, changed at most once per `minIntervalMs()` (urgent: at once). */
export function useAnnouncer(minIntervalMs: () => number): {
	readonly text: string;
	say(message: string, urgent?: boolean): void;
} {
	let text = $state.raw('');
	const announcer = createAnnouncer((message) => (text = message), {
		minIntervalMs: minIntervalMs()
	});
	$effect(() => () => announcer.dispose());
	return {
		get text() {
			return text;
		},
		say: announcer.say
	};
}
