// Drives the Ferry web console in headless Chromium through the journeys of its three audiences, against a server
// that ConsoleTests.cs prepared over the REST API (greeter 1.0.0 approved, 1.1.0 pending review).
//
// Environment: BASE_URL, CONSUMER_TOKEN, OTHER_TENANT_TOKEN (a consumer of another tenant), REVIEWER_TOKEN,
// PROVIDER_TOKEN, SCREENSHOT_DIR (where the PNGs go), DEPLOYED_APP (SERVICE/STAGE/REGION of an app the consumer
// deployed with the CLI), CHROMIUM (default /usr/bin/chromium).
// Prints one line per step; exits 1 with the failing step, the page's console output and a screenshot.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`Set ${name} (see the header of console.test.mjs)`);
  return value;
};

const BASE_URL = env('BASE_URL');
const TOKENS = {
  consumer: env('CONSUMER_TOKEN'),
  otherTenant: env('OTHER_TENANT_TOKEN'),
  reviewer: env('REVIEWER_TOKEN'),
  provider: env('PROVIDER_TOKEN'),
};
const SCREENSHOTS = env('SCREENSHOT_DIR');
const DEPLOYED_APP = env('DEPLOYED_APP'); // SERVICE/STAGE/REGION of an app the consumer deployed with the CLI
const CONSOLE = `${BASE_URL}/console/`;

const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
const page = await context.newPage();
page.setDefaultTimeout(60_000);
const pageOutput = [];
page.on('console', (message) => pageOutput.push(`[${message.type()}] ${message.text()}`));
page.on('pageerror', (error) => pageOutput.push(`[pageerror] ${error.message}`));
await mkdir(SCREENSHOTS, { recursive: true });

let current = 'starting';
async function step(name, action) {
  current = name;
  const started = Date.now();
  await action();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

async function screenshot(name, options = {}) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), ...options });
}

/** Calls a function URL from outside the browser, like any client of the deployed app. */
async function callApp(url) {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function signIn(token) {
  await page.goto(`${CONSOLE}#/signin`);
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#tenant').waitFor();
}

async function signOut() {
  await page.locator('#sign-out').click();
  await page.locator('#token').waitFor();
}

async function navLabels() {
  return page.locator('#nav a').allTextContents();
}

try {
  let appUrl;

  await step('a wrong token is refused with the server\'s message', async () => {
    await page.goto(CONSOLE);
    await page.locator('#token').fill(`fry_${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-box', { hasText: 'The token is unknown or was revoked' }).waitFor();
  });

  await step('the consumer signs in; whoami names the tenant and the nav fits the role', async () => {
    await signIn(TOKENS.consumer);
    assert.equal(await page.locator('#tenant').textContent(), 'globex');
    assert.equal(await page.locator('#roles').textContent(), 'consumer');
    assert.deepEqual(await navLabels(), ['Apps', 'Catalog']);
    await page.locator('h1', { hasText: 'Apps' }).waitFor();
  });

  await step('the catalog finds the template by search', async () => {
    await page.locator('#nav a', { hasText: 'Catalog' }).click();
    await page.locator('[data-template="notes-api"]').waitFor();
    assert.equal(await page.locator('.template-card').count(), 2);
    await screenshot('catalog');
    await page.locator('#catalog-search').fill('nothing-like-this');
    await page.locator('#catalog-results', { hasText: 'No template matches' }).waitFor();
    await page.locator('#catalog-search').fill('greet');
    await page.locator('[data-template="greeter"]').waitFor();
    assert.equal(await page.locator('.template-card').count(), 1);
  });

  await step('the template page renders the README as Markdown and its HTML as text', async () => {
    await page.locator('[data-template="greeter"]').click();
    await page.locator('#readme h2', { hasText: 'Greeter' }).waitFor();
    assert.equal(await page.locator('#readme li').count(), 2);
    assert.match(await page.locator('#readme pre code').textContent(), /curl http/);
    assert.match(await page.locator('#readme').textContent(), /<script>window.__readmeRan = true<\/script>/);
    assert.equal(await page.locator('#readme script, #readme img').count(), 0);
    assert.equal(await page.evaluate(() => window.__readmeRan), undefined);
    // Consumers see approved versions only.
    assert.deepEqual(await page.locator('table.versions tbody tr td:first-child').allTextContents(), ['1.0.0']);
  });

  await step('the deploy form follows the parameter schema and shows the server\'s validation per field', async () => {
    await page.locator('#deploy').click();
    await page.locator('#param-apiKey').waitFor();
    assert.equal(await page.locator('#param-apiKey').getAttribute('type'), 'password');
    assert.deepEqual(await page.locator('#param-size option').allTextContents(), ['(default: small)', 'small', 'large']);
    assert.equal(await page.locator('#param-greeting').getAttribute('placeholder'), 'Hello');
    await page.locator('#stage').fill('prod');
    await page.locator('#install').click();
    const apiKeyError = page.locator('[data-parameter="apiKey"] .field-error');
    await apiKeyError.waitFor();
    assert.match(await apiKeyError.textContent(), /is required/);
    await page.locator('#deploy-result .error-box', { hasText: 'One parameter needs attention' }).waitFor();
    await screenshot('deploy-form', { fullPage: true });
  });

  await step('installing shows progress until the app answers, and the app answers', async () => {
    await page.locator('#param-apiKey').fill('s3cr3t-key');
    await page.locator('#param-greeting').fill('Ahoy');
    await page.locator('#param-size').selectOption('large');
    await page.locator('#install').click();
    await page.locator('#deploy-live').waitFor({ timeout: 120_000 });
    assert.equal(await page.locator('[data-parameter="apiKey"] .field-error').isVisible(), false);
    appUrl = await page.locator('#live-url').getAttribute('href');
    const answer = await callApp(appUrl);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { version: '1.0.0', greeting: 'Ahoy', size: 'large', color: null });
  });

  await step('the app page shows functions, routes and revisions, and the live tail receives a new request', async () => {
    await page.locator('#open-app').click();
    await page.locator('table.functions', { hasText: 'api' }).waitFor();
    assert.equal(await page.locator('a.route-link').getAttribute('href'), appUrl);
    assert.equal(await page.locator('table.revisions tbody tr').count(), 1);
    assert.equal(await page.locator('#installed-version').textContent(), '1.0.0');
    await page.locator('#log-status', { hasText: 'live' }).waitFor();

    const marker = `marker=${Date.now()}`;
    assert.equal((await callApp(`${appUrl}?${marker}`)).status, 200);
    const line = page.locator('.log-line', { hasText: `greeting request ${marker}` });
    await line.waitFor();
    assert.equal(await line.getAttribute('data-stream'), 'stdout');

    // Search narrows the lines; the stream filter hides stdout.
    await page.locator('#log-search').fill(marker);
    const visible = await page.locator('.log-line:visible').allTextContents();
    assert.ok(visible.length >= 1 && visible.every((text) => text.includes(marker)), visible.join('\n'));
    await page.locator('#log-stream-stdout').uncheck();
    await line.waitFor({ state: 'hidden' });
    await page.locator('#log-stream-stdout').check();
    await line.waitFor();
    await page.locator('#log-search').fill('');
  });

  await step('errors, the activity chart and usage reflect the invocations', async () => {
    assert.ok((await callApp(`${appUrl}?fail=1`)).status >= 500);
    // Invocations are recorded in batches: reload until the failure is counted.
    for (let attempt = 0; ; attempt++) {
      await page.reload();
      await page.locator('#errors table.by-function').waitFor();
      if (await page.locator('#errors table.by-message', { hasText: 'boom: the greeting failed' }).count() > 0) break;
      assert.ok(attempt < 30, 'the failed invocation never showed up in the error statistics');
      await page.waitForTimeout(500);
    }
    await page.locator('#activity svg.chart rect.bar-error').first().waitFor();
    assert.ok(await page.locator('#activity svg.chart rect.bar').count() >= 1);
    assert.ok(await page.locator('#activity svg.chart polyline, #activity svg.chart circle').count() >= 1);
    await page.locator('.figure.cost dd').waitFor();
    assert.notEqual(await page.locator('.figure dd').first().textContent(), '0');
    await page.locator('.log-line', { hasText: 'boom: the greeting failed' }).first().waitFor();
    await page.locator('#log-status', { hasText: 'live' }).waitFor();
    await screenshot('app-page', { fullPage: true });
  });

  await step('a reviewer sees the queue, the coloured diff, and must explain a rejection', async () => {
    await signOut();
    await signIn(TOKENS.reviewer);
    assert.deepEqual(await navLabels(), ['Catalog', 'Reviews']);
    await page.locator('#nav a', { hasText: 'Reviews' }).click();
    const row = page.locator('table.queue tbody tr', { hasText: 'greeter' });
    await row.waitFor();
    assert.match(await row.textContent(), /1\.1\.0/);
    await screenshot('reviews');
    await row.getByRole('link', { name: 'Review' }).click();
    await page.locator('#diff .diff-line.added', { hasText: 'color' }).first().waitFor();
    await screenshot('review-diff', { fullPage: true });
    await page.locator('#reject').click();
    await page.locator('#decision-result .error-box', { hasText: 'A rejection needs a comment' }).waitFor();
    await page.locator('#review-comment').fill('Looks good: one new parameter with a default.');
    await page.locator('#approve').click();
    await page.locator('.notice', { hasText: 'greeter@1.1.0 is approved' }).waitFor();
    await page.locator('#review-state', { hasText: 'approved' }).waitFor();
  });

  await step('a reviewer has no apps screen', async () => {
    await page.goto(`${CONSOLE}#/apps`);
    await page.locator('.error-box', { hasText: 'Not allowed' }).waitFor();
  });

  await step('the provider sees their versions, review states and the reviewer\'s comment', async () => {
    await signOut();
    await signIn(TOKENS.provider);
    assert.deepEqual(await navLabels(), ['Apps', 'Catalog', 'My templates']);
    await page.locator('#nav a', { hasText: 'My templates' }).click();
    const latest = page.locator('[data-template="greeter"] table.versions tbody tr', { hasText: '1.1.0' });
    await latest.waitFor();
    assert.match(await latest.textContent(), /approved/);
    assert.match(await latest.textContent(), /Looks good: one new parameter with a default\./);
    const rejected = page.locator('[data-template="notes-api"] table.versions tbody tr', { hasText: '1.1.0' });
    assert.match(await rejected.textContent(), /rejected/);
    assert.match(await rejected.textContent(), /Document how long notes are kept in the README\./);
    await screenshot('provider');
  });

  await step('the consumer sees "update available" and upgrades with the changelog and the new parameter', async () => {
    await signOut();
    await signIn(TOKENS.consumer);
    const row = page.locator('table.apps tbody tr', { hasText: 'greeter' });
    await row.locator('.badge-update', { hasText: 'update available: 1.1.0' }).waitFor();
    await screenshot('apps');
    await row.locator('a.app-link').click();
    await page.locator('#upgrade').click();
    await page.locator('.changelog', { hasText: 'Adds colour' }).waitFor();
    await page.locator('#upgrade-color').waitFor();
    assert.equal(await page.locator('#upgrade-color').getAttribute('placeholder'), 'blue');
    await screenshot('upgrade', { fullPage: false });
    await page.locator('#confirm-upgrade').click();
    await page.locator('.notice', { hasText: 'Upgraded 1.0.0 → 1.1.0' }).waitFor({ timeout: 120_000 });
    await page.locator('#installed-version', { hasText: '1.1.0' }).waitFor();
    assert.deepEqual((await callApp(appUrl)).body, { version: '1.1.0', greeting: 'Ahoy', size: 'large', color: 'blue' });
  });

  await step('the consumer rolls back to the previous version', async () => {
    await page.locator('#rollback').click();
    await page.locator('#confirm-rollback').click();
    await page.locator('.notice', { hasText: 'Rolled back to greeter@1.0.0' }).waitFor();
    await page.locator('#installed-version', { hasText: '1.0.0' }).waitFor();
    assert.equal((await callApp(appUrl)).body.version, '1.0.0');
  });

  await step('an app deployed with the CLI (not installed) has an app page without install actions or stray text', async () => {
    await page.goto(`${CONSOLE}#/apps/${DEPLOYED_APP}`);
    await page.locator('table.functions', { hasText: 'hello' }).waitFor();
    assert.equal(await page.locator('#installed-version, #upgrade, #rollback').count(), 0);
    assert.doesNotMatch(await page.locator('.screen').first().textContent(), /undefined|null|\[object /);
  });

  await step('a consumer of another tenant gets "Not found" for the app page and sees no apps', async () => {
    await signOut();
    await signIn(TOKENS.otherTenant);
    assert.equal(await page.locator('#tenant').textContent(), 'initech');
    await page.locator('table.apps, .screen p.muted', { hasText: /No apps yet/ }).first().waitFor();
    await page.goto(`${CONSOLE}#/apps/greeter/prod/local`);
    await page.locator('.error-box', { hasText: 'Not found' }).waitFor();
    assert.match(await page.locator('.error-box').textContent(), /No app 'greeter'/);
    assert.equal(await page.locator('table.functions, #logs, #activity').count(), 0);
  });

  console.log('all console checks passed');
} catch (error) {
  console.error(`FAILED at step: ${current}`);
  console.error(error?.stack ?? error);
  console.error(`--- page URL: ${page.url()}`);
  console.error(`--- page console:\n${pageOutput.join('\n') || '(nothing)'}`);
  await page.screenshot({ path: join(SCREENSHOTS, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(`--- screenshot: ${join(SCREENSHOTS, 'failure.png')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
