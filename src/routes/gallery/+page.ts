import { error } from '@sveltejs/kit';
import { dev } from '$app/environment';
import { env } from '$env/dynamic/public';
import type { PageLoad } from './$types';

/** The gallery is a development aid: in dev and in the mock demo build, not on a real deployment. */
export const load: PageLoad = () => {
	if (!dev && env.PUBLIC_MOCK !== '1') error(404, 'Not found');
};
