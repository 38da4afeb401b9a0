// Authentication over HTTP: loopback by default, bearer tokens from a file, and an OAuth 2.1
// resource server that takes JWTs (RS256, ES256) signed with keys that `openssl` makes here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createContext, TEST_TIMEOUT } from './lib/harness.mjs';
import { startHttpServer, post, modern } from './lib/http.mjs';

const list = modern(1, 'tools/list');
const bearer = (token) => ({ ...list.headers, authorization: `Bearer ${token}` });
const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A private key from `openssl genpkey`, and its public JWK. */
function opensslKey(dir, name, args) {
  const file = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['genpkey', ...args, '-out', file], { stdio: 'ignore' });
  const key = crypto.createPrivateKey(fs.readFileSync(file));
  const jwk = { ...crypto.createPublicKey(key).export({ format: 'jwk' }), kid: name, use: 'sig' };
  return { key, jwk };
}

function jwt({ key, jwk }, alg, claims) {
  const head = b64url(JSON.stringify({ alg, typ: 'at+jwt', kid: jwk.kid }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${head}.${body}.${b64url(sig)}`;
}

test('off loopback without authentication, the server refuses to start', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ args: ['--http', '0.0.0.0:0'] });
  const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((r) => child.once('exit', r));
  assert.notEqual(code, 0);
  assert.match(stderr, /reachable from other machines: give --http-token-file or --oauth-issuer/);
  assert.doesNotMatch(stderr, /listening on/);
});

test('bearer tokens from --http-token-file; a wrong or missing one gets 401', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const good = crypto.randomBytes(24).toString('hex');
  // Long tokens fit in what a connection keeps for its headers.
  const long = crypto.randomBytes(4096).toString('hex'); // 8 KiB
  const file = path.join(ctx.root, 'tokens');
  fs.writeFileSync(file, `# who may call\n${good}\n\n${crypto.randomBytes(24).toString('hex')}\n${long}\n`);
  // Off loopback, a token file is enough.
  const srv = await startHttpServer(ctx, { listen: '0.0.0.0:0', args: ['--http-token-file', file] });
  const url = srv.url.replace('0.0.0.0', '127.0.0.1');

  const none = await post(url, list.body, { headers: list.headers });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate'), /^Bearer/);
  assert.equal(none.json.error.code, -32000);
  const wrong = await post(url, list.body, { headers: bearer(good.slice(0, -1) + 'x') });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate'), /^Bearer.*invalid_token/);
  const basic = await post(url, list.body, { headers: { ...list.headers, authorization: `Basic ${good}` } });
  assert.equal(basic.status, 401);
  const ok = await post(url, list.body, { headers: bearer(good) });
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.json.result.tools.length > 0);
  const okLong = await post(url, list.body, { headers: bearer(long) });
  assert.equal(okLong.status, 200, `an 8 KiB token: ${okLong.status}`);
  // The token never reaches the log.
  assert.ok(!srv.stderr.includes(good), 'a token was logged');
});

test('OAuth: JWTs of the issuer, its metadata, and each way a token can be wrong', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const rsa = opensslKey(ctx.root, 'rsa1', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  const ec = opensslKey(ctx.root, 'ec1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const stranger = opensslKey(ctx.root, 'rsa1', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  // The issuer: its metadata and keys, fetched by the server at start.
  const issuerServer = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${issuerServer.address().port}`;
    if (req.url === '/.well-known/oauth-authorization-server') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token` }));
    } else if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => issuerServer.listen(0, '127.0.0.1', r));
  t.after(() => issuerServer.close());
  const issuer = `http://127.0.0.1:${issuerServer.address().port}`;
  const srv = await startHttpServer(ctx, { args: ['--oauth-issuer', issuer, '--oauth-scopes', 'mcp:tools'] });
  const resource = srv.url;
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: resource, sub: 'alice', exp: now + 300, iat: now, scope: 'openid mcp:tools' };

  // Metadata, at both places, and named in the challenge.
  for (const where of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    const res = await fetch(new URL(where, srv.url));
    assert.equal(res.status, 200, where);
    const doc = await res.json();
    assert.equal(doc.resource, resource);
    assert.deepEqual(doc.authorization_servers, [issuer]);
    assert.deepEqual(doc.scopes_supported, ['mcp:tools']);
  }
  const none = await post(srv.url, list.body, { headers: list.headers });
  assert.equal(none.status, 401);
  const challenge = none.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer /);
  assert.ok(challenge.includes(`resource_metadata="${new URL('/.well-known/oauth-protected-resource/mcp', srv.url)}"`), challenge);
  assert.match(challenge, /scope="mcp:tools"/);

  const expect = async (token, status, re, what) => {
    const res = await post(srv.url, list.body, { headers: bearer(token) });
    assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
    if (re) assert.match(res.headers.get('www-authenticate') ?? '', re, what);
    return res;
  };
  await expect(jwt(rsa, 'RS256', claims), 200, null, 'a good RS256 token');
  await expect(jwt(ec, 'ES256', claims), 200, null, 'a good ES256 token');
  await expect(jwt(rsa, 'RS256', { ...claims, aud: 'http://elsewhere.example/mcp' }), 401, /invalid_token/, 'another audience');
  await expect(jwt(rsa, 'RS256', { ...claims, iss: 'http://127.0.0.1:1' }), 401, /invalid_token/, 'another issuer');
  await expect(jwt(rsa, 'RS256', { ...claims, exp: now - 3600 }), 401, /invalid_token/, 'expired');
  await expect(jwt(stranger, 'RS256', claims), 401, /invalid_token/, 'signed by another key with the same kid');
  const good = jwt(rsa, 'RS256', claims);
  const tampered = good.split('.');
  tampered[1] = b64url(JSON.stringify({ ...claims, sub: 'mallory' }));
  await expect(tampered.join('.'), 401, /invalid_token/, 'claims changed after signing');
  const none256 = `${b64url(JSON.stringify({ alg: 'none', kid: 'rsa1' }))}.${b64url(JSON.stringify(claims))}.`;
  await expect(none256, 401, /invalid_token/, 'alg none');
  await expect(jwt(rsa, 'RS256', { ...claims, scope: 'openid' }), 403, /error="insufficient_scope".*scope="mcp:tools"/, 'a missing scope');
  // A good token still works after all that.
  await expect(good, 200, null, 'the good token again');
});
