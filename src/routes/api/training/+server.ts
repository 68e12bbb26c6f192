import { createTraining, listTraining } from '$lib/server/endpoints';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) => listTraining(event);
export const POST: RequestHandler = (event) => createTraining(event);
