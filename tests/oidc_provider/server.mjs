// Test-only OpenID Connect provider (oidc-provider) for the flask-oauth2login test suite.
//
// Usage: node server.mjs '<json>'
//
// The single command-line argument is a JSON object:
//   port                  number, 0 (default) picks a free port
//   clients               array of client metadata objects, passed to oidc-provider as-is
//   accessTokenTTL        seconds, default 3600 (access tokens and client_credentials tokens)
//   refreshTokenRotation  bool, default true: every refresh_token grant rotates the refresh token
//   idTokenClaims         bool, default false: put the scope claims (email, name, ...) into the
//                         id_token too; by default they are only served by the userinfo endpoint
//   requirePar            bool, default false: every client must push its authorization
//                         requests (PAR, RFC 9126); per client: require_pushed_authorization_requests
//   dpopNonce             bool, default false: DPoP proofs must carry a server nonce (RFC 9449
//                         section 8), so the first proof of a client is answered use_dpop_nonce
//
// Client authentication: client_secret_basic, client_secret_post, client_secret_jwt and
// private_key_jwt (RS256, PS256, ES256, HS256); PAR and DPoP (ES256, PS256, RS256) are on.
//
// Logout: RP-Initiated Logout (end_session_endpoint, with its confirmation page) and Back-Channel
// Logout are on. A client registered with backchannel_logout_uri gets a logout token there when
// its user signs out; with backchannel_logout_session_required: true, ID tokens and logout
// tokens carry sid. Back-channel POSTs reach loopback addresses (the SSRF guard is dropped).
//
// Binds 127.0.0.1 only; the issuer is http://127.0.0.1:<port>. Prints exactly one line
// "READY <issuer>" on stdout once listening. Exits when stdin closes or on SIGTERM/SIGINT.
// Every client is validated before READY: invalid metadata exits with code 2 and the reason
// on stderr. Error pages that cannot redirect to a client are rendered as JSON.
//
// Any login name X at the dev login page is accepted (the password is ignored) and becomes
// an account with sub=X, email=X@example.test, email_verified=true, name=X with its first
// letter upper-cased, picture=https://img.example.test/X.png.
//
// Test-only endpoints:
//   GET  /__test/stats  -> {"grants": {"authorization_code": n, "refresh_token": n,
//                           "client_credentials": n}, "revocations": n, "userinfo": n}
//   GET  /__test/backchannel -> {"success": n, "error": n}: logout tokens delivered, failed
//   POST /__test/reset  -> zeroes the counters, answers with the zeroed stats
//   GET  /__test/fapi   -> {"par": n, "dpopNonceChallenges": n, "dpopProofs": n} since the
//                           last reset (pushed requests, nonce challenges, requests with a proof)

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

function parseConfig(argv) {
  const raw = argv[2];
  if (raw === undefined || raw === '') {
    return {};
  }
  const parsed = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('configuration must be a JSON object');
  }
  return parsed;
}

function capitalise(value) {
  return value.length ? value[0].toUpperCase() + value.slice(1) : value;
}

function newStats() {
  return {
    grants: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
    revocations: 0,
    userinfo: 0,
  };
}

function newBackchannelStats() {
  return { success: 0, error: 0 };
}

const config = parseConfig(process.argv);
const port = Number(config.port ?? 0);
const clients = config.clients ?? [];
const accessTokenTTL = Number(config.accessTokenTTL ?? 3600);
const refreshTokenRotation = config.refreshTokenRotation ?? true;
const idTokenClaims = config.idTokenClaims ?? false;
const requirePar = Boolean(config.requirePar ?? false);
const dpopNonce = Boolean(config.dpopNonce ?? false);

function newFapiStats() {
  return { par: 0, dpopNonceChallenges: 0, dpopProofs: 0 };
}
let fapiStats = newFapiStats();

let stats = newStats();
let backchannelStats = newBackchannelStats();

const server = createServer();

function shutdown(code = 0) {
  server.closeAllConnections?.();
  server.close();
  process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('close', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();

server.listen(port, '127.0.0.1', async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'picture'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: `${sub}@example.test`,
            email_verified: true,
            name: capitalise(sub),
            picture: `https://img.example.test/${sub}.png`,
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: requirePar,
      },
      dPoP: {
        enabled: true,
        nonceSecret: dpopNonce ? randomBytes(32) : undefined,
        requireNonce: () => dpopNonce,
      },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', 'RS256', 'PS256', 'ES256'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256'],
    },
    // Back-channel logout tokens go to the test app on loopback, which the
    // default SSRF-guarded dispatcher refuses: plain fetch instead.
    fetch(url, options) {
      const { dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    pkce: { required: () => true },
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    rotateRefreshToken: () => Boolean(refreshTokenRotation),
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: accessTokenTTL,
      ClientCredentials: accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 60 * 60,
      Interaction: 3600,
      Session: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
    },
    conformIdTokenClaims: !idTokenClaims,
    clientBasedCORS: () => true,
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  provider.on('grant.success', (ctx) => {
    const grantType = ctx.oidc.params.grant_type;
    if (Object.hasOwn(stats.grants, grantType)) {
      stats.grants[grantType] += 1;
    }
  });

  provider.on('backchannel.success', () => {
    backchannelStats.success += 1;
  });

  provider.on('backchannel.error', (ctx, err) => {
    backchannelStats.error += 1;
    console.error('oidc-provider backchannel.error', err.message);
  });

  provider.on('server_error', (ctx, err) => {
    console.error('oidc-provider server_error', err);
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/stats' && ctx.method === 'GET') {
      ctx.type = 'json';
      ctx.body = stats;
      return;
    }
    if (ctx.path === '/__test/backchannel' && ctx.method === 'GET') {
      ctx.type = 'json';
      ctx.body = backchannelStats;
      return;
    }
    if (ctx.path === '/__test/fapi' && ctx.method === 'GET') {
      ctx.type = 'json';
      ctx.body = fapiStats;
      return;
    }
    if (ctx.path === '/__test/reset' && ctx.method === 'POST') {
      fapiStats = newFapiStats();
    }
    if (ctx.get('DPoP')) {
      fapiStats.dpopProofs += 1;
    }
    if (ctx.path === '/__test/reset' && ctx.method === 'POST') {
      stats = newStats();
      backchannelStats = newBackchannelStats();
      ctx.type = 'json';
      ctx.body = stats;
      return;
    }
    await next();
    const route = ctx.oidc?.route;
    if (ctx.status === 201 && route === 'pushed_authorization_request') {
      fapiStats.par += 1;
    }
    const challenge = String(ctx.response.get('WWW-Authenticate') ?? '');
    if (ctx.response.get('DPoP-Nonce')
        && (ctx.body?.error === 'use_dpop_nonce' || challenge.includes('use_dpop_nonce'))) {
      fapiStats.dpopNonceChallenges += 1;
    }
    if (ctx.status === 200 && route === 'revocation') {
      stats.revocations += 1;
    } else if (ctx.status === 200 && route === 'userinfo') {
      stats.userinfo += 1;
    }
  });

  for (const client of clients) {
    try {
      await provider.Client.find(String(client.client_id));
    } catch (err) {
      console.error(`invalid client ${JSON.stringify(client.client_id)}: ${err.message}: ${err.error_description ?? ''}`);
      process.exit(2);
    }
  }

  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});
