/**
 * The hostile-input suite: every case of `cases.ts` against the built server, a healthy client
 * watching throughout. Writes its figures to `hostile.reliability.json` (RELIABILITY.md's input).
 */
import { fileURLToPath } from 'node:url';
import { HOSTILE_CASES } from './cases';
import { describeHostile } from './runner';

describeHostile('hostile input against the built server', HOSTILE_CASES, {
	figures: {
		file: fileURLToPath(new URL('./hostile.reliability.json', import.meta.url)),
		suite: 'hostile',
		title: 'Hostile input',
		source: 'tests/integration/hostile/hostile.test.ts'
	}
});
