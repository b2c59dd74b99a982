// Opens samples/web-next where Ferry serves it, in headless Chromium, and checks that the server-rendered page
// hydrates: the client component's counter reacts to clicks, a <Link> navigates on the client (the page is not
// reloaded) and back, next/image's images load, and no request of the page fails (4xx/5xx or a network error) and
// no script throws. Every request the page makes must stay under the prefix it was opened at.
//
// Environment and output: page-session.mjs (PAGE_URL ends in /).

import assert from 'node:assert/strict';
import { runPageSteps } from './page-session.mjs';

const outside = [];
await runPageSteps(async ({ page, pageUrl, failures, step, onRequest }) => {
  const prefix = new URL(pageUrl).pathname.replace(/\/$/, '');
  onRequest((request) => {
    const url = new URL(request.url());
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) outside.push(request.url());
  });

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
}, () => [`requests outside the prefix:\n${outside.join('\n')}`]);
