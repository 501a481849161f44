// CDK entry point (cdk.json: `npx tsx infra/app.ts`).
import { BidderEndpointError } from './bidder-endpoint.js';
import { buildApp } from './build-app.js';

try {
  buildApp().app.synth();
} catch (error) {
  // A missing or bad context value is the operator's to fix: the message says how, a stack trace adds nothing.
  if (!(error instanceof BidderEndpointError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
