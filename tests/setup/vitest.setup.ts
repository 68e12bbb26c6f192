// MSW's sse() needs a global EventSource at construction, and Node has none: use the
// `eventsource` package (a spec-following client on fetch) everywhere in Vitest.
import { EventSource } from 'eventsource';

if (!('EventSource' in globalThis)) {
	Object.assign(globalThis, { EventSource });
}
