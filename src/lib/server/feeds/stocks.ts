import type { StockQuote } from '$lib/shared/contract';
import type { StockWalk } from '$lib/shared/stocks';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/** The stocks feed: one shared walk; each move is an event named after its symbol. */
export function stocksProducer(walk: StockWalk, clock: Clock): Producer<StockQuote> {
	return {
		start(emit) {
			let timer = null as ReturnType<Clock['timeout']> | null;
			const move = () => {
				const quote = walk.step(clock.now());
				emit(quote.symbol, quote);
				timer = clock.timeout(move, walk.nextDelayMs());
			};
			timer = clock.timeout(move, walk.nextDelayMs());
			return () => clock.clear(timer);
		},
		snapshot: () =>
			walk.snapshot(clock.now()).map((quote) => ({ event: quote.symbol, data: quote }))
	};
}
