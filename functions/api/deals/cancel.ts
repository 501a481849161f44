import { productionDeps, type ApiDeps } from '../deps.js';
import { makeTransitionHandler } from './transition.js';

/** POST /deals/{dealId}/cancel with If-Match → the cancelled deal. */
export const makeHandler = (deps: ApiDeps) => makeTransitionHandler('cancel', deps);

export const handler = makeHandler(productionDeps({ idempotent: true }));
