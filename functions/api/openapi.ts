import { buildOpenApiDocument } from '../../shared/schemas/openapi.js';
import { httpHandler, type HttpDeps } from './http/handler.js';

/** GET /openapi.json → the OpenAPI 3.1 document, built from the same zod schemas the handlers validate with. */
export function makeHandler(deps: HttpDeps) {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  return httpHandler(
    {
      name: 'openapi',
      access: 'public',
      handle: async () => {
        document ??= buildOpenApiDocument();
        return { body: document, headers: { 'Cache-Control': 'public, max-age=300' } };
      },
    },
    deps,
  );
}

export const handler = makeHandler({ clock: () => new Date() });
