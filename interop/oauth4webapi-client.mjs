// Drives a grantwire-testkit loopback server with oauth4webapi, an OAuth client written
// independently of grantwire (https://github.com/panva/oauth4webapi).
//
// Usage: node oauth4webapi-client.mjs '<json config>'
//   {"issuer": "http://127.0.0.1:PORT",
//    "clients": [{"client_id": "...", "method": "client_secret_basic" | "client_secret_post" |
//                 "client_secret_jwt" | "private_key_jwt", "secret": "...", "jwk": {...}}],
//    "wrong_secret": {"client_id": "...", "secret": "..."}}
// For each client: discovery (RFC 8414), client_credentials, introspection (RFC 7662),
// revocation (RFC 7009), introspection again. Prints one JSON report on stdout; exits 0 only
// when every step behaved as expected.
import * as oauth from 'oauth4webapi';

const config = JSON.parse(process.argv[2] ?? '{}');
// The testkit serves plain http on 127.0.0.1: oauth4webapi refuses http unless told.
const insecure = { [oauth.allowInsecureRequests]: true };

async function authFor(client) {
  switch (client.method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(client.secret);
    case 'client_secret_post':
      return oauth.ClientSecretPost(client.secret);
    case 'client_secret_jwt':
      return oauth.ClientSecretJwt(client.secret);
    case 'private_key_jwt': {
      const { d, kty, crv, x, y } = client.jwk;
      const key = await crypto.subtle.importKey(
        'jwk', { kty, crv, x, y, d }, { name: 'ECDSA', namedCurve: crv }, false, ['sign']);
      return oauth.PrivateKeyJwt({ key, kid: client.jwk.kid });
    }
    default:
      throw new Error(`unknown method ${client.method}`);
  }
}

// The OAuth error code of a failure: from the body (RFC 6749 §5.2) or, for a 401 with a
// WWW-Authenticate challenge (which oauth4webapi reports first), from the challenge or the body.
async function describe(err) {
  if (err instanceof oauth.ResponseBodyError) return err.error;
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const fromChallenge = err.cause?.[0]?.parameters?.error;
    if (fromChallenge) return fromChallenge;
    const body = await err.response.json().catch(() => ({}));
    return body.error ?? `challenge ${err.status}`;
  }
  return `${err.name}: ${err.code ?? err.message}`;
}

async function run() {
  const report = { discovery: null, clients: [], wrong_secret: null };
  const issuer = new URL(config.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  report.discovery = as.issuer;

  for (const c of config.clients) {
    const entry = { client_id: c.client_id, method: c.method };
    report.clients.push(entry);
    try {
      const client = { client_id: c.client_id };
      const auth = await authFor(c);
      const tokenResponse = await oauth.processClientCredentialsResponse(as, client,
        await oauth.clientCredentialsGrantRequest(as, client, auth,
          new URLSearchParams({ scope: 'read' }), insecure));
      entry.token_type = tokenResponse.token_type;
      entry.scope = tokenResponse.scope;
      const token = tokenResponse.access_token;
      const before = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, token, insecure));
      entry.active_before = before.active;
      entry.introspected_client_id = before.client_id;
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, client, auth, token, insecure));
      entry.revoked = true;
      const after = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, token, insecure));
      entry.active_after = after.active;
    } catch (err) {
      entry.error = await describe(err);
    }
  }

  if (config.wrong_secret) {
    const w = config.wrong_secret;
    const client = { client_id: w.client_id };
    try {
      await oauth.processClientCredentialsResponse(as, client,
        await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(w.secret),
          new URLSearchParams(), insecure));
      report.wrong_secret = 'accepted';
    } catch (err) {
      report.wrong_secret = await describe(err);
    }
  }
  return report;
}

try {
  const report = await run();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const ok = report.clients.every((c) => !c.error && c.active_before === true
    && c.active_after === false) && report.wrong_secret === 'invalid_client';
  process.exit(ok ? 0 : 1);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ fatal: `${err.name}: ${err.code ?? err.message}` })}\n`);
  process.exit(2);
}
