'use strict';
// Tests of runtime/node/next-prefix.cjs (Ferry's Next.js launcher without Next), run by NextPrefixTests.cs with
// `node --test`; NEXT_PREFIX_MODULE is the path of the module under test.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Readable } = require('node:stream');
const { test } = require('node:test');
const zlib = require('node:zlib');

const {
  PLACEHOLDER, PlaceholderRewriter, acceptsGzip, forwardedPrefix, underPlaceholder, routeUnderPlaceholder, rewriteHeaderValue,
  serveUnderPrefixes, untouchedStaticFile,
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

test('the URL-encoded placeholder (next/image of a static import) becomes the encoded prefix, split anywhere', () => {
  const encoded = encodeURIComponent(PLACEHOLDER);
  const text = `<img src="${PLACEHOLDER}/_next/image?url=${encoded}%2F_next%2Fstatic%2Fmedia%2Fboat.png&amp;w=96"/>`;
  for (let size = 1; size <= text.length; size++) {
    assert.equal(rewriteInPieces(text, size, '/svc/dev', '/svc/dev'),
      '<img src="/svc/dev/_next/image?url=%2Fsvc%2Fdev%2F_next%2Fstatic%2Fmedia%2Fboat.png&amp;w=96"/>');
    assert.equal(rewriteInPieces(text, size, '', '/'), '<img src="/_next/image?url=%2F_next%2Fstatic%2Fmedia%2Fboat.png&amp;w=96"/>');
  }
});

test("next/image's url is routed under the placeholder: under the prefix, from the app's root, or already there", () => {
  const image = (url, prefix) => routeUnderPlaceholder(`/_next/image?url=${encodeURIComponent(url)}&w=96&q=75`, prefix, false);
  const expected = (url) => `${PLACEHOLDER}/_next/image?url=${encodeURIComponent(url)}&w=96&q=75`;
  assert.equal(image('/svc/dev/_next/static/media/boat.png', '/svc/dev'), expected(`${PLACEHOLDER}/_next/static/media/boat.png`));
  assert.equal(image('/_next/static/media/boat.png', ''), expected(`${PLACEHOLDER}/_next/static/media/boat.png`));
  assert.equal(image('/logo.png', '/svc/dev'), expected(`${PLACEHOLDER}/logo.png`));
  assert.equal(image(`${PLACEHOLDER}/logo.png`, '/svc/dev'), expected(`${PLACEHOLDER}/logo.png`));
  assert.equal(image('https://cdn.example/a.png', '/svc/dev'), expected('https://cdn.example/a.png'));
  assert.equal(image('//cdn.example/a.png', ''), expected('//cdn.example/a.png'));
  // Other paths keep their query as it was.
  assert.equal(routeUnderPlaceholder('/api/hello?url=%2Flogo.png', '/svc/dev', false), `${PLACEHOLDER}/api/hello?url=%2Flogo.png`);
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

test('gzip is taken when the client accepts it by name or *, with a q above 0', () => {
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('br;q=1.0, *;q=0.1'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(undefined), false);
});

// A build folder with two static chunks: one with the placeholder (Next's router), one without (most of them).
const distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-next-prefix-'));
fs.mkdirSync(path.join(distDir, 'static', 'chunks'), { recursive: true });
const withPlaceholder = `let d="${PLACEHOLDER}";`;
const withoutPlaceholder = 'export const x = "/_next/static/chunks/a.js";';
fs.writeFileSync(path.join(distDir, 'static', 'chunks', 'router.js'), withPlaceholder);
fs.writeFileSync(path.join(distDir, 'static', 'chunks', 'react.js'), withoutPlaceholder);
fs.writeFileSync(path.join(distDir, 'secret.txt'), 'outside static/');
test.after(() => fs.rmSync(distDir, { recursive: true, force: true }));

test("the build's static files without the placeholder are served untouched; paths out of static/ are not", () => {
  const known = new Map();
  const untouched = (relative) => untouchedStaticFile(`${PLACEHOLDER}/_next/static/${relative}`, distDir, known);
  assert.equal(untouched('chunks/react.js'), true);
  assert.equal(untouched('chunks/react.js?v=1'), true);
  assert.equal(untouched('chunks/router.js'), false);
  assert.equal(untouched('chunks/missing.js'), false);
  assert.equal(untouched('../secret.txt'), false);
  assert.equal(untouched('chunks/%2e%2e/../secret.txt'), false);
  assert.equal(untouched('chunks//react.js'), false);
  assert.equal(untouchedStaticFile('/about', distDir, known), false);
  assert.deepEqual([...known.keys()].sort(), ['chunks/react.js', 'chunks/router.js']);
});

// One server for the tests below, its requests routed and its responses rewritten as in the launcher.
serveUnderPrefixes({ trailingSlash: false, distDir });
const seen = [];
const routes = new Map();
const server = http.createServer((request, response) => {
  seen.push({ url: request.url, encoding: request.headers['accept-encoding'] });
  const route = routes.get(request.url.slice(PLACEHOLDER.length) || '/');
  if (route) {
    route(request, response);
  } else {
    response.writeHead(404).end();
  }
});
const listening = new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

function get(path, { prefix, method = 'GET', encoding = 'gzip, br', onData } = {}) {
  return listening.then(() => new Promise((resolve, reject) => {
    const headers = { 'accept-encoding': encoding };
    if (prefix !== undefined) headers['x-forwarded-prefix'] = prefix;
    http.request({ port: server.address().port, host: '127.0.0.1', path, method, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => {
        chunks.push(chunk);
        onData?.(chunk);
      });
      response.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = response.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        resolve({ status: response.statusCode, headers: response.headers, raw, body });
      });
    }).on('error', reject).end();
  }));
}

routes.set('/', (request, response) => {
  const body = `<a href="${PLACEHOLDER}/x">x</a>`;
  response.setHeader('Content-Type', 'text/html; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  // Streamed in two writes that split the placeholder.
  response.write(body.slice(0, 12));
  setTimeout(() => response.end(body.slice(12)), 5);
});
routes.set('/redirect', (request, response) => response.writeHead(308, { Location: `${PLACEHOLDER}/about` }).end());
const png = Buffer.from(`\x89PNG${PLACEHOLDER}/`, 'latin1');
routes.set('/image', (request, response) => {
  response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length }).end(png);
});

test.after(() => server.close());

// Next's static file serving, with its length and (here) its own compression, as the route sees Accept-Encoding.
routes.set('/_next/static/chunks/react.js', (request, response) => {
  const body = request.headers['accept-encoding'] === 'gzip, br' ? zlib.gzipSync(withoutPlaceholder) : Buffer.from(withoutPlaceholder);
  const headers = { 'Content-Type': 'application/javascript', 'Content-Length': body.length };
  if (request.headers['accept-encoding'] === 'gzip, br') headers['Content-Encoding'] = 'gzip';
  response.writeHead(200, headers).end(body);
});
routes.set('/_next/static/chunks/router.js', (request, response) => {
  response.writeHead(200, { 'Content-Type': 'application/javascript', 'Content-Length': Buffer.byteLength(withPlaceholder) })
    .end(withPlaceholder);
});

test('a real server: a static chunk without the placeholder keeps its length and Next compression, one with it is rewritten', async () => {
  const untouched = await get('/_next/static/chunks/react.js', { prefix: '/svc/dev' });
  assert.equal(untouched.headers['content-encoding'], 'gzip');
  assert.equal(untouched.headers['content-length'], String(untouched.raw.length));
  assert.equal(untouched.body.toString(), withoutPlaceholder);
  assert.equal(seen.at(-1).encoding, 'gzip, br');

  const rewritten = await get('/_next/static/chunks/router.js', { prefix: '/svc/dev', encoding: 'identity' });
  assert.equal(rewritten.body.toString(), 'let d="/svc/dev";');
  assert.equal(seen.at(-1).encoding, undefined);
});

test('a real server: a textual body streams rewritten without its old length, the path routed under the placeholder', async () => {
  const page = await get('/', { prefix: '/svc/dev', encoding: 'identity' });
  assert.equal(page.body.toString(), '<a href="/svc/dev/x">x</a>');
  assert.equal(page.headers['content-length'], undefined);
  assert.equal(page.headers['content-encoding'], undefined);
  assert.equal(page.headers.vary, 'Accept-Encoding');
  assert.deepEqual(seen.at(-1), { url: PLACEHOLDER, encoding: undefined });

  const atRoot = await get('/', { encoding: 'identity' });
  assert.equal(atRoot.body.toString(), '<a href="/x">x</a>');
});

test('a real server: redirects, images and HEAD are rewritten only in their headers', async () => {
  const redirect = await get('/redirect', { prefix: '/shop' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, '/shop/about');

  const image = await get('/image', { prefix: '/shop' });
  assert.deepEqual(image.raw, png);
  assert.equal(image.headers['content-length'], String(png.length));
  assert.equal(image.headers['content-encoding'], undefined);

  const head = await get('/image', { prefix: '/shop', method: 'HEAD' });
  assert.equal(head.headers['content-length'], String(png.length));
});

test('a real server: a client that accepts gzip gets the rewritten body gzipped, which Next itself was not asked to do', async () => {
  const page = await get('/', { prefix: '/svc/dev' });
  assert.equal(page.headers['content-encoding'], 'gzip');
  assert.equal(page.body.toString(), '<a href="/svc/dev/x">x</a>');
  assert.equal(seen.at(-1).encoding, undefined);
});

test('a real server: a streamed page reaches the client at each flush, gzipped', { timeout: 30_000 }, async () => {
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  routes.set('/stream', async (request, response) => {
    response.setHeader('Content-Type', 'text/html');
    response.write(`<p>${PLACEHOLDER}/first</p>`);
    response.flush();
    await released;
    response.end(`<p>${PLACEHOLDER}/second</p>`);
  });
  const gunzip = zlib.createGunzip();
  let received = '';
  gunzip.on('data', (data) => {
    received += data;
    if (received.includes('/first')) release();
  });
  const page = await get('/stream', { prefix: '/p', onData: (chunk) => gunzip.write(chunk) });
  assert.equal(page.body.toString(), '<p>/p/first</p><p>/p/second</p>');
});

test('a real server: a large piped body arrives whole and rewritten, gzipped or not', async () => {
  const line = `<a href="${PLACEHOLDER}/page">${'x'.repeat(100)}</a>\n`;
  const lines = 50_000;
  routes.set('/large', (request, response) => {
    response.setHeader('Content-Type', 'application/javascript');
    let sent = 0;
    Readable.from((function* () {
      while (sent++ < lines) yield line;
    })()).pipe(response);
  });
  const expected = `<a href="/big/page">${'x'.repeat(100)}</a>\n`.repeat(lines);
  for (const encoding of ['gzip', 'identity']) {
    const page = await get('/large', { prefix: '/big', encoding });
    assert.equal(page.body.length, Buffer.byteLength(expected), encoding);
    assert.ok(page.body.equals(Buffer.from(expected)), encoding);
  }
});
