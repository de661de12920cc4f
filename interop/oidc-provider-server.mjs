// oidc-provider (an independent authorization server) on 127.0.0.1, for grantwire's interop
// test (crates/grantwire-interop/tests/oidc_provider.rs).
//
// argv[2]: JSON {"clients": [{"client_id", "method", "alg"?, "secret"?}]}. For each
// private_key_jwt client a key pair for its `alg` is generated here; its public JWK is
// registered and its private JWK is reported, so the Rust side signs with it.
//
// Prints one JSON line once listening: {"issuer", "private_jwks": {client_id: jwk}}; the
// endpoints come from discovery. Runs until killed or until stdin closes (so it never outlives
// the test that started it).
import http from 'node:http';
import crypto from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

// Every client-authentication signing algorithm oidc-provider knows (EdDSA and Ed25519 both).
const ALL_ALGS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'Ed25519', 'EdDSA',
];

const config = JSON.parse(process.argv[2]);
const privateJwks = {};
const clients = [];
for (const c of config.clients) {
  const client = {
    client_id: c.client_id,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read write',
    token_endpoint_auth_method: c.method,
  };
  if (c.secret !== undefined) client.client_secret = c.secret;
  if (c.alg !== undefined) client.token_endpoint_auth_signing_alg = c.alg;
  if (c.method === 'private_key_jwt') {
    const options = { extractable: true };
    if (c.alg === 'EdDSA') options.crv = 'Ed25519';
    const { publicKey, privateKey } = await generateKeyPair(c.alg, options);
    const kid = crypto.randomUUID();
    const pub = { ...(await exportJWK(publicKey)), kid, alg: c.alg, use: 'sig' };
    privateJwks[c.client_id] = { ...(await exportJWK(privateKey)), kid, alg: c.alg };
    client.jwks = { keys: [pub] };
  }
  clients.push(client);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  scopes: ['read', 'write'],
  clientAuthMethods: [
    'none', 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt',
  ],
  enabledJWA: { clientAuthSigningAlgValues: ALL_ALGS },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
});
// oidc-provider logs configuration advice to the console; stdout carries only the JSON line.
console.log = console.error;
console.warn = console.error;
console.info = console.error;
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer, private_jwks: privateJwks })}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
