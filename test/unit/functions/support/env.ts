/**
 * Environment the handler modules read at import (their deployed `handler` is built at module scope).
 * Import this first in every handler test file: ES modules evaluate imports in order.
 * Nothing here is ever contacted: tests inject the in-memory repository through makeHandler(deps).
 */
const defaults: Record<string, string> = {
  DEALS_TABLE_NAME: 'unit-deals',
  HISTORY_TABLE_NAME: 'unit-history',
  IDEMPOTENCY_TABLE_NAME: 'unit-idempotency',
  ENGAGEMENT_TABLE_NAME: 'unit-engagement',
  RATE_LIMIT_TABLE_NAME: 'unit-rate-limit',
  CLIENT_RATE_LIMIT_REQUESTS: '20',
  CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1',
  API_ROUTES: JSON.stringify(['GET /health']),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
  POWERTOOLS_SERVICE_NAME: 'dealdesk-api-unit',
  POWERTOOLS_METRICS_NAMESPACE: 'dealdesk-unit',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
