'use strict';
// Tests of runtime/node/next-prefix.cjs (Ferry's Next.js launcher without Next), run by NextPrefixTests.cs with
// `node --test`; NEXT_PREFIX_MODULE is the path of the module under test.
const assert = require('node:assert/strict');
const http = require('node:http');
const { test } = require('node:test');

const {
  PLACEHOLDER, PlaceholderRewriter, forwardedPrefix, underPlaceholder, rewriteHeaderValue, serveUnderPrefixes,
} = require(process.env.NEXT_PREFIX_MODULE);

function rewriteInPieces(text, size, prefix, bare) {
  const rewriter = new PlaceholderRewriter(prefix, bare);
  const bytes = Buffer.from(text);
  const out = [];
  for (let at = 0; at < bytes.length; at += size) {
    out.push(rewriter.push(bytes.subarray(at, at + size)));
  }
  out.push(rewriter.end());
  return Buffer.concat(out).toString();
}

test('the placeholder is replaced wherever a chunk boundary falls, even inside it or right after it', () => {
  const text = `<a href="${PLACEHOLDER}">home</a><script src="${PLACEHOLDER}/_next/a.js"></script>/_ferry_ ${PLACEHOLDER}`;
  for (let size = 1; size <= text.length; size++) {
    assert.equal(rewriteInPieces(text, size, '/shop/dev', '/shop/dev'),
      '<a href="/shop/dev">home</a><script src="/shop/dev/_next/a.js"></script>/_ferry_ /shop/dev');
    assert.equal(rewriteInPieces(text, size, '', '/'),
      '<a href="/">home</a><script src="/_next/a.js"></script>/_ferry_ /');
  }
});

test('where a path goes on after the placeholder it becomes the prefix, elsewhere the bare value', () => {
  const js = `let d="${PLACEHOLDER}";x="${PLACEHOLDER}/_next/";`;
  assert.equal(rewriteInPieces(js, 7, '', ''), 'let d="";x="/_next/";');
  assert.equal(rewriteInPieces(js, 7, '/a', '/a'), 'let d="/a";x="/a/_next/";');
});

test('a text that only looks like the start of the placeholder is kept whole, UTF-8 included', () => {
  const text = 'ünïcödé /__ferry_base ✓ /__ferry_base_path_ end /';
  for (let size = 1; size <= Buffer.byteLength(text); size++) {
    assert.equal(rewriteInPieces(text, size, '/p', '/p'), text);
  }
});

test('headers: Location and Refresh keep a path under the prefix, and the root becomes / at a domain root', () => {
  assert.equal(rewriteHeaderValue(`${PLACEHOLDER}/about`, '/svc/dev'), '/svc/dev/about');
  assert.equal(rewriteHeaderValue(`0;url=${PLACEHOLDER}`, ''), '0;url=/');
  assert.equal(rewriteHeaderValue(`${PLACEHOLDER}?q=1`, ''), '/?q=1');
  assert.equal(rewriteHeaderValue(`<${PLACEHOLDER}/_next/f.woff2>; rel=preload, <${PLACEHOLDER}/_next/g.css>`, '/v2'),
    '</v2/_next/f.woff2>; rel=preload, </v2/_next/g.css>');
});

test('forwarded paths are routed under the placeholder, the root without the slash Next would redirect away', () => {
  assert.equal(underPlaceholder('/', false), PLACEHOLDER);
  assert.equal(underPlaceholder('/?a=1', false), `${PLACEHOLDER}?a=1`);
  assert.equal(underPlaceholder('/', true), `${PLACEHOLDER}/`);
  assert.equal(underPlaceholder('/about?x', false), `${PLACEHOLDER}/about?x`);
  assert.equal(underPlaceholder(`${PLACEHOLDER}/_next/a.js`, false), `${PLACEHOLDER}/_next/a.js`);
  assert.equal(underPlaceholder('*', false), '*');
});

test('only a well-formed X-Forwarded-Prefix is taken; anything else is the root', () => {
  const prefix = (value) => forwardedPrefix({ headers: value === undefined ? {} : { 'x-forwarded-prefix': value } });
  assert.equal(prefix(undefined), '');
  assert.equal(prefix('/svc/dev'), '/svc/dev');
  assert.equal(prefix('/shop/'), '/shop');
  assert.equal(prefix('/a"><script>'), '');
  assert.equal(prefix('//evil.example'), '');
  assert.equal(prefix(`/${'a'.repeat(600)}`), '');
});

test('a real server: textual bodies stream rewritten without their old length, others and HEAD pass untouched', async () => {
  serveUnderPrefixes({ trailingSlash: false });
  const seen = [];
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url, encoding: request.headers['accept-encoding'] });
    if (request.url === `${PLACEHOLDER}/redirect`) {
      response.writeHead(308, { Location: `${PLACEHOLDER}/about` }).end();
    } else if (request.url === `${PLACEHOLDER}/image`) {
      const body = Buffer.from(`\x89PNG${PLACEHOLDER}/`, 'latin1');
      response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': body.length }).end(body);
    } else {
      const body = `<a href="${PLACEHOLDER}/x">x</a>`;
      response.setHeader('Content-Type', 'text/html; charset=utf-8');
      response.setHeader('Content-Length', Buffer.byteLength(body));
      // Streamed in two writes that split the placeholder.
      response.write(body.slice(0, 12));
      setTimeout(() => response.end(body.slice(12)), 5);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const get = (path, prefix, method = 'GET') => new Promise((resolve, reject) => {
    const headers = { 'accept-encoding': 'gzip' };
    if (prefix !== undefined) headers['x-forwarded-prefix'] = prefix;
    http.request({ port, host: '127.0.0.1', path, method, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
  try {
    const page = await get('/', '/svc/dev');
    assert.equal(page.body.toString(), '<a href="/svc/dev/x">x</a>');
    assert.equal(page.headers['content-length'], undefined);
    assert.deepEqual(seen[0], { url: PLACEHOLDER, encoding: undefined });

    const atRoot = await get('/', undefined);
    assert.equal(atRoot.body.toString(), '<a href="/x">x</a>');

    const redirect = await get('/redirect', '/shop');
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, '/shop/about');

    const image = await get('/image', '/shop');
    assert.equal(image.body.toString('latin1'), `\x89PNG${PLACEHOLDER}/`);
    assert.equal(image.headers['content-length'], String(image.body.length));

    const head = await get('/image', '/shop', 'HEAD');
    assert.equal(head.headers['content-length'], String(image.body.length));
  } finally {
    server.close();
  }
});
