import { metrics } from '$lib/server/endpoints';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => metrics(event);
