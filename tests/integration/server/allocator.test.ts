/** `npm start` and every script that starts server/index.js use one allocator setting. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOCATOR_ENV, allocatorEnv } from '../../../server/allocator.js';

describe('the allocator setting', () => {
	it('is what `npm start` sets, unless the operator set it', () => {
		const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as {
			scripts: Record<string, string>;
		};
		for (const [name, value] of Object.entries(ALLOCATOR_ENV)) {
			expect(scripts.start).toContain(`${name}=\${${name}:-${value}} `);
		}
	});

	it('gives way to a value already in the environment', () => {
		expect(allocatorEnv({})).toEqual(ALLOCATOR_ENV);
		expect(allocatorEnv({ MALLOC_MMAP_THRESHOLD_: '131072' })).toEqual({});
	});
});
