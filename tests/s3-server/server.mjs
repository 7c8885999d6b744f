// The S3-compatible server of the S3 blob store tests, on 127.0.0.1:PORT (default 4569): s3rver (objects under DIR,
// bucket "cyllm-test") behind a front that checks AWS Signature Version 4 the way S3 does, because s3rver accepts any
// V4 signature. The front is written from AWS's description of the algorithm, independently of the C# signer it checks:
// it rebuilds the canonical request from what arrived on the wire, signs it with the account's secret (S3RVER / S3RVER),
// answers 403 SignatureDoesNotMatch when the signatures differ (and for unsigned requests), 400
// XAmzContentSHA256Mismatch when a body does not hash to x-amz-content-sha256, and otherwise forwards the request.
import crypto from 'node:crypto';
import http from 'node:http';
import S3rver from 's3rver';

const port = Number(process.env.PORT ?? 4569);
const inner = port + 1;
const directory = process.env.DIR ?? '/tmp/cyllm-s3rver';
const secrets = { S3RVER: 'S3RVER' };

await new S3rver({ port: inner, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: 'cyllm-test' }] }).run();

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();
const sha = (data) => crypto.createHash('sha256').update(data).digest('hex');
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function expected(req, auth) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return null;
  const [, keyId, day, region, service, signedHeaders, signature] = m;
  const secret = secrets[keyId];
  if (!secret) return null;
  const url = new URL(req.url, 'http://x');
  const query = [...url.searchParams].map(([k, v]) => [enc(k), enc(v)]).sort().map(([k, v]) => `${k}=${v}`).join('&');
  const names = signedHeaders.split(';');
  const headerLines = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/ +/g, ' ')}\n`).join('');
  const canonical = [req.method, url.pathname, query, headerLines, signedHeaders, req.headers['x-amz-content-sha256'] ?? ''].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'], scope, sha(canonical)].join('\n');
  let k = hmac('AWS4' + secret, day);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  return { ok: crypto.createHmac('sha256', k).update(toSign, 'utf8').digest('hex') === signature, names };
}

function fail(res, status, code) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const check = expected(req, req.headers.authorization ?? '');
    if (!check || !check.ok || !check.names.includes('host') || !check.names.includes('x-amz-date')) return fail(res, 403, 'SignatureDoesNotMatch');
    const declared = req.headers['x-amz-content-sha256'];
    if (declared !== 'UNSIGNED-PAYLOAD' && declared !== sha(body)) return fail(res, 400, 'XAmzContentSHA256Mismatch');
    const fwd = http.request({ host: '127.0.0.1', port: inner, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${inner}` } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    fwd.on('error', () => fail(res, 502, 'InternalError'));
    fwd.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log(`s3 test server ready on 127.0.0.1:${port} (s3rver on ${inner})`));
