import { appStatsFeed } from '$lib/server/app-stats-feed';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => appStatsFeed.GET(event);
