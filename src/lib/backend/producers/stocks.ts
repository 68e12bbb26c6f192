import type { StockQuote } from '$lib/shared/contract';
import type { StockWalk } from '$lib/shared/stocks';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/** When the next stock tick comes and how many moves it makes. */
export type StocksPace = () => { delayMs: number; steps: number };

/**
 * The stocks feed: one shared walk; each move is an event named after its symbol. On start it
 * sends every symbol's current quote as an event of its own, so a snapshot is made of real events
 * with ids. `pace` (default: the walk's own delay, one move per tick) lets the mock's `burst` move
 * faster than the browser's timers could tick.
 */
export function stocksProducer(
	walk: StockWalk,
	clock: Clock,
	pace: StocksPace = () => ({ delayMs: walk.nextDelayMs(), steps: 1 })
): Producer<StockQuote> {
	return {
		start(emit) {
			let timer = null as ReturnType<Clock['timeout']> | null;
			for (const quote of walk.snapshot(clock.now())) emit(quote.symbol, quote);
			let next = pace();
			const move = () => {
				for (let i = 0; i < next.steps; i++) {
					const quote = walk.step(clock.now());
					emit(quote.symbol, quote);
				}
				next = pace();
				timer = clock.timeout(move, next.delayMs);
			};
			timer = clock.timeout(move, next.delayMs);
			return () => clock.clear(timer);
		}
	};
}
