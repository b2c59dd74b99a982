// What the framework page scripts share: headless Chromium on PAGE_URL (RESOLVE "HOST ADDRESS" maps a custom domain's
// name to the test server), every failed request (a 4xx/5xx answer or a network error) and script error recorded, and
// steps that print "ok   NAME" or, for the first that throws, "FAIL NAME: …" with what the page recorded (exit code 1).
//
// Environment: PAGE_URL (the page to open), RESOLVE (optional), CHROMIUM (default /usr/bin/chromium).

import { chromium } from 'playwright-core';

/**
 * Opens a browser page and runs `steps(session)`, where the session has `page`, `pageUrl`, `failures` (failed requests
 * and script errors so far), `step(name, action)` and `onRequest(listener)`; closes the browser whatever happens.
 * `report(session)` adds lines to a failure's output.
 */
export async function runPageSteps(steps, report = () => []) {
  const pageUrl = process.env.PAGE_URL;
  if (!pageUrl) throw new Error('Set PAGE_URL (see page-session.mjs)');
  const args = ['--headless', '--no-sandbox', '--disable-gpu'];
  if (process.env.RESOLVE) {
    const [host, address] = process.env.RESOLVE.split(' ');
    args.push(`--host-resolver-rules=MAP ${host} ${address}`);
  }

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args });
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  const failures = [];
  const output = [];
  // net::ERR_ABORTED is the browser cancelling a request itself (a navigation or reload cuts short a prefetch or lazy
  // fetch); what the server answered with an error shows up as a response >= 400.
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText;
    if (error !== 'net::ERR_ABORTED') failures.push(`${request.url()}: ${error}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.url()}: ${response.status()}`);
  });
  page.on('console', (message) => output.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => failures.push(`script error: ${error.message}`));

  let current = 'starting';
  const session = {
    page,
    pageUrl,
    failures,
    onRequest: (listener) => page.on('request', listener),
    async step(name, action) {
      current = name;
      await action();
      console.log(`ok   ${name}`);
    },
  };
  try {
    await steps(session);
  } catch (error) {
    console.log(`FAIL ${current}: ${error.message}`);
    console.log(`failed requests:\n${failures.join('\n')}`);
    for (const line of report(session)) console.log(line);
    console.log(`page console:\n${output.join('\n')}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
