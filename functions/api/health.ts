import { httpHandler, type HttpDeps } from './http/handler.js';

/** GET /health → 200 {"status":"ok"}. Public; touches no dependency, so it answers while they are down. */
export function makeHandler(deps: HttpDeps) {
  return httpHandler(
    {
      name: 'health',
      access: 'public',
      handle: async ({ deps }) => ({ body: { status: 'ok', time: deps.clock().toISOString() } }),
    },
    deps,
  );
}

export const handler = makeHandler({ clock: () => new Date() });
