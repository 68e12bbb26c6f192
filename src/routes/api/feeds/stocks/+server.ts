import { stocksStream } from '$lib/server/endpoints';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => stocksStream(event);
