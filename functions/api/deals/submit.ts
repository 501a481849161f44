import { productionDeps, type ApiDeps } from '../deps.js';
import { makeTransitionHandler } from './transition.js';

/** POST /deals/{dealId}/submit with If-Match → the deal, now pending_approval. */
export const makeHandler = (deps: ApiDeps) => makeTransitionHandler('submit', deps);

export const handler = makeHandler(productionDeps({ idempotent: true }));
