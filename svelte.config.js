import adapterNode from '@sveltejs/adapter-node';
import adapterStatic from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// `npm run build:demo` sets DEMO=1: a static site that carries the MSW mock backend.
const demo = process.env.DEMO === '1';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// The API is JSON without cookies or sessions: nothing for a forged form post to ride on,
		// and Kit's origin check would answer API clients (curl, other servers) with plain text.
		// (Deprecated in favour of trustedOrigins, which cannot trust requests without an Origin.)
		csrf: { checkOrigin: false },
		adapter: demo
			? adapterStatic({ pages: 'build-demo', assets: 'build-demo', fallback: 'index.html' })
			: adapterNode({ out: 'build' })
	}
};

export default config;
