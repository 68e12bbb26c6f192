/**
 * Starts what the browser tests look at, once for the run: the built real server (`node build`)
 * and a plain static server for the offline demo (`build-demo/`). Their URLs reach the tests
 * through E2E_SERVER_URL and E2E_DEMO_URL; both are stopped by PID when the run ends.
 */
import { existsSync } from 'node:fs';
import { startBuiltServer } from '../support/processes';
import { serveStatic } from '../support/static-server';

export default async function globalSetup() {
	for (const dir of ['build/index.js', 'build-demo/index.html']) {
		if (!existsSync(dir)) {
			throw new Error(`${dir} is missing: run \`npm run build && npm run build:demo\` first`);
		}
	}
	const server = await startBuiltServer({ MAX_CONNECTIONS_PER_CLIENT: '256' });
	const demo = await serveStatic('build-demo');
	process.env.E2E_SERVER_URL = server.url;
	process.env.E2E_DEMO_URL = demo.url;
	return async () => {
		await server.stop();
		await new Promise((resolve) => demo.server.close(resolve));
		demo.server.closeAllConnections();
	};
}
