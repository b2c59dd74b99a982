// Opens samples/web-nuxt where Ferry serves it, in headless Chromium, and checks that the server-rendered page
// hydrates: the counter button reacts to clicks, a NuxtLink navigates on the client (the page is not reloaded), the
// public/ image loads, and no request of the page fails (4xx/5xx or a network error) and no script throws.
// Environment and output: page-session.mjs.

import assert from 'node:assert/strict';
import { runPageSteps } from './page-session.mjs';

await runPageSteps(async ({ page, pageUrl, failures, step }) => {
  await step(`open ${pageUrl}`, async () => {
    const response = await page.goto(pageUrl, { waitUntil: 'networkidle' });
    assert.equal(response?.status(), 200);
    assert.match(await page.textContent('#greeting'), /Hello, nuxt!/);
  });

  await step('the page hydrates (Vue mounted on #__nuxt)', async () => {
    await page.waitForFunction(() => Boolean(document.querySelector('#__nuxt')?.__vue_app__));
  });

  await step('the counter reacts to clicks', async () => {
    await page.click('#counter');
    await page.click('#counter');
    await page.waitForFunction(() => document.querySelector('#counter')?.textContent === 'clicked 2 times');
  });

  await step('the public/ image loaded', async () => {
    const width = await page.$eval('#logo', (image) => image.complete ? image.naturalWidth : 0);
    assert.ok(width > 0, 'ferry.svg did not load');
  });

  await step('a NuxtLink navigates on the client', async () => {
    await page.evaluate(() => { window.ferryStillHere = true; });
    await page.click('#about-link');
    await page.waitForSelector('#about');
    assert.equal(await page.evaluate(() => window.ferryStillHere), true, 'the page was reloaded');
    console.log(`     at ${page.url()}`);
  });

  await step('the linked page also renders on the server', async () => {
    const response = await page.reload({ waitUntil: 'networkidle' });
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#about');
  });

  await step('no request failed and no script threw', async () => {
    assert.deepEqual(failures, []);
  });
});
