import adapterNode from '@sveltejs/adapter-node';
import adapterStatic from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// `npm run build:demo` sets DEMO=1: a static site that carries the MSW mock backend.
const demo = process.env.DEMO === '1';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: demo
			? adapterStatic({ pages: 'build-demo', assets: 'build-demo', fallback: 'index.html' })
			: adapterNode({ out: 'build' })
	}
};

export default config;
