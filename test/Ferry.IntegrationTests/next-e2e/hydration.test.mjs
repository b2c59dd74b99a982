// Opens samples/web-next where Ferry serves it, in headless Chromium, and checks that the server-rendered page
// hydrates: the client component's counter reacts to clicks, a <Link> navigates on the client (the page is not
// reloaded) and back, next/image's images load, and no request of the page fails (4xx/5xx or a network error) and no script throws. Every
// request the page makes must stay under the prefix it was opened at.
//
// Environment: PAGE_URL (the page to open, ending in /), RESOLVE (optional "HOST ADDRESS": HOST is resolved to ADDRESS,
// for a custom domain), CHROMIUM (default /usr/bin/chromium). Prints one line per step; exits 1 with the failing step.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const pageUrl = process.env.PAGE_URL;
if (!pageUrl) throw new Error('Set PAGE_URL (see the header of hydration.test.mjs)');
const prefix = new URL(pageUrl).pathname.replace(/\/$/, '');
const args = ['--headless', '--no-sandbox', '--disable-gpu'];
if (process.env.RESOLVE) {
  const [host, address] = process.env.RESOLVE.split(' ');
  args.push(`--host-resolver-rules=MAP ${host} ${address}`);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args });
const page = await browser.newPage();
page.setDefaultTimeout(60_000);
const failures = [];
const outside = [];
const output = [];
// net::ERR_ABORTED is the browser cancelling a request itself (a navigation cuts short a prefetch); what the server
// answered with an error shows up as a response >= 400.
page.on('requestfailed', (request) => {
  const error = request.failure()?.errorText;
  if (error !== 'net::ERR_ABORTED') failures.push(`${request.url()}: ${error}`);
});
page.on('request', (request) => {
  const url = new URL(request.url());
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) outside.push(request.url());
});
page.on('response', (response) => {
  if (response.status() >= 400) failures.push(`${response.url()}: ${response.status()}`);
});
page.on('console', (message) => output.push(`[${message.type()}] ${message.text()}`));
page.on('pageerror', (error) => failures.push(`script error: ${error.message}`));

let current = 'starting';
async function step(name, action) {
  current = name;
  await action();
  console.log(`ok   ${name}`);
}

try {
  await step(`open ${pageUrl}`, async () => {
    const response = await page.goto(pageUrl, { waitUntil: 'networkidle' });
    assert.equal(response?.status(), 200);
    assert.match(await page.textContent('h1'), /Hello from Next.js/);
  });

  await step('the stylesheet applies', async () => {
    const color = await page.$eval('h1', (heading) => getComputedStyle(heading).color);
    assert.equal(color, 'rgb(31, 78, 121)');
  });

  await step('the counter reacts to clicks', async () => {
    await page.click('#counter');
    await page.click('#counter');
    await page.waitForFunction(() => document.querySelector('#counter')?.textContent === 'clicked 2 times');
  });

  await step('a Link navigates on the client', async () => {
    await page.evaluate(() => { window.ferryStillHere = true; });
    await page.click('#about-link');
    await page.waitForSelector('#about');
    assert.equal(await page.evaluate(() => window.ferryStillHere), true, 'the page was reloaded');
    assert.equal(new URL(page.url()).pathname, `${prefix}/about`);
  });

  await step('and back to the home page', async () => {
    await page.click('#home');
    await page.waitForSelector('#counter');
    assert.equal(await page.evaluate(() => window.ferryStillHere), true, 'the page was reloaded');
    assert.equal(new URL(page.url()).pathname, prefix || '/');
  });

  await step('the linked page also renders on the server', async () => {
    const response = await page.goto(new URL('about', pageUrl).href, { waitUntil: 'networkidle' });
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#about');
  });

  await step('its next/image images load (a public/ file and a static import)', async () => {
    for (const id of ['logo', 'boat']) {
      const width = await page.$eval(`#${id}`, (image) => (image.complete ? image.naturalWidth : 0));
      assert.ok(width > 0, `#${id} did not load`);
    }
  });

  await step('no request failed and no script threw', async () => {
    assert.deepEqual(failures, []);
  });

  await step(`every request stayed under ${prefix || '/'}`, async () => {
    assert.deepEqual(outside, []);
  });
} catch (error) {
  console.log(`FAIL ${current}: ${error.message}`);
  console.log(`failed requests:\n${failures.join('\n')}`);
  console.log(`requests outside the prefix:\n${outside.join('\n')}`);
  console.log(`page console:\n${output.join('\n')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
