import { cancelTraining } from '$lib/server/endpoints';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = (event) => cancelTraining(event);
