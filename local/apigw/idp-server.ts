/**
 * The local identity provider's discovery endpoints (what Cognito serves at its issuer URL):
 * `/.well-known/openid-configuration` and `/.well-known/jwks.json`, on 127.0.0.1. The issuer is this
 * server's URL, so it is known only once the server listens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalIdentityProvider, type LocalIdentityProvider } from './jwt.js';

export interface LocalIdp {
  idp: LocalIdentityProvider;
  issuer: string;
  jwksUrl: string;
  close(): Promise<void>;
}

export async function startLocalIdp(port = 0): Promise<LocalIdp> {
  let idp: LocalIdentityProvider | undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    let body: unknown;
    if (path === '/.well-known/jwks.json') body = idp?.jwks;
    else if (path === '/.well-known/openid-configuration') {
      body = {
        issuer: idp?.issuer,
        jwks_uri: `${idp?.issuer}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      };
    }
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp = await createLocalIdentityProvider(issuer);
  return {
    idp,
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
