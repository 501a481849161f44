import { z } from 'zod';

/** GET /health answer. Loose: the health handler may add diagnostics. */
export const HealthResponse = z
  .looseObject({ status: z.string().meta({ description: '"ok" when the service answers' }) })
  .meta({ id: 'HealthResponse' });

/** GET /openapi.json answer: this API's OpenAPI 3.1 document. */
export const OpenApiDocumentResponse = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
  .meta({ id: 'OpenApiDocument', description: 'OpenAPI 3.1 document of this API' });
