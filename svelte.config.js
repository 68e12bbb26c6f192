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
		// A strict CSP on every page. 'auto': a nonce on pages rendered per request, hashes on
		// prerendered ones (the demo's, as a <meta> tag, where browsers ignore frame-ancestors).
		// Scripts only from this origin or Kit's own nonce/hash, never 'unsafe-inline'; styles
		// allow inline because Svelte sets style attributes. Nothing may frame the dashboard: the
		// widgets embed as Svelte components, not frames. worker-src is the mock's service worker.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		},
		adapter: demo
			? adapterStatic({ pages: 'build-demo', assets: 'build-demo', fallback: 'index.html' })
			: adapterNode({ out: 'build' })
	}
};

export default config;
