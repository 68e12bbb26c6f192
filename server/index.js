/**
 * The production entry (`npm start`): adapter-node's own server (`build/index.js`, with its
 * settings, socket activation and graceful shutdown), with the Node-level guard of `guard.js`
 * installed on its HTTP server. adapter-node creates that server inside its module and exposes
 * no hook, so the guard is installed on every server `http.createServer` makes in this process;
 * a custom server over `build/handler.js` calls `guardServer()` on its own server instead.
 */
import http from 'node:http';
import { guardServer } from './guard.js';

const createServer = http.createServer;
http.createServer = /** @type {typeof http.createServer} */ (
	(/** @type {any[]} */ ...args) => guardServer(createServer(...args))
);

await import('../build/index.js');
