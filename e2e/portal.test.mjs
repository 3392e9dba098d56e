// End-to-end: starts the portal with the README's start command (sandbox, backend, frontend),
// opens a demo service in Debian's Chromium through playwright-core, and checks that the
// Deployments tab shows the versions the sandbox clusters are running. Saves a screenshot to
// test-results/deployments-tab.png.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, createWriteStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });

let portal;
let browser;

async function waitForUrl(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    if (portal.exitCode !== null)
      throw new Error(
        `the portal exited with ${portal.exitCode}; see test-results/portal.log`,
      );
    await new Promise(r => setTimeout(r, 500));
  }
}

before(async () => {
  const log = createWriteStream(join(resultsDir, 'portal.log'));
  portal = spawn('bash', [join(root, 'scripts/start.sh')], {
    cwd: root,
    env: { ...process.env, BROWSER: 'none' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  portal.stdout.pipe(log);
  portal.stderr.pipe(log);
  await waitForUrl('http://127.0.0.1:7007/api/delivery/health', 240_000);
  await waitForUrl('http://localhost:3000/', 240_000);
  assert.equal(
    portal.exitCode,
    null,
    'the portal started by this test is the one answering',
  );
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // playwright gives each launch a fresh temporary profile directory itself.
    ],
  });
});

after(async () => {
  await browser?.close();
  if (portal && portal.exitCode === null) {
    process.kill(-portal.pid, 'SIGTERM');
    await new Promise(resolve => {
      const timer = setTimeout(() => {
        try {
          process.kill(-portal.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        resolve();
      }, 10_000);
      portal.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
});

test(
  'a developer sees the versions running in each environment on the Deployments tab',
  { timeout: 300_000 },
  async () => {
    // What the sandbox clusters run, asked independently of the portal.
    const expected = {};
    for (const [env, port] of Object.entries({
      uat: 7011,
      canary: 7012,
      production: 7013,
    })) {
      const res = await fetch(
        `http://127.0.0.1:${port}/apis/apps/v1/namespaces/payments/deployments/payments-api`,
      );
      assert.equal(res.status, 200);
      const deployment = await res.json();
      expected[env] = deployment.spec.template.spec.containers[0].image
        .split(':')
        .pop();
    }
    assert.equal(
      new Set(Object.values(expected)).size,
      3,
      'the demo runs three different versions',
    );

    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await page.goto('http://localhost:3000/', {
      waitUntil: 'domcontentloaded',
    });
    const enter = page.getByRole('button', { name: 'Enter' });
    await enter.waitFor({ timeout: 120_000 });
    await enter.click();
    // Signed in: the catalog (the home page) lists the demo services.
    await page
      .getByRole('link', { name: 'payments-api' })
      .first()
      .waitFor({ timeout: 120_000 });

    await page.goto(
      'http://localhost:3000/catalog/default/component/payments-api/deployments',
    );
    await page
      .getByText('Environments', { exact: true })
      .waitFor({ timeout: 60_000 });
    for (const [env, tag] of Object.entries(expected)) {
      const row = page.locator('tr', {
        has: page.getByText(`${env} / payments`),
      });
      await row.getByText(tag, { exact: true }).waitFor({ timeout: 30_000 });
      await row.getByText('3/3 ready').waitFor();
    }
    await page.getByText('Recent commits').waitFor();
    await page.getByText('acme/payments-api').first().waitFor();
    await page
      .getByText(/CI (passed|failed|running)/)
      .first()
      .waitFor({ timeout: 30_000 });

    // The tab exists only for services with the annotations.
    await page.goto(
      'http://localhost:3000/catalog/default/component/money-lib',
    );
    await page
      .getByText('Currency arithmetic shared by the services')
      .waitFor({ timeout: 60_000 });
    assert.equal(
      await page.getByRole('tab', { name: 'Deployments' }).count(),
      0,
    );

    await page.goto(
      'http://localhost:3000/catalog/default/component/payments-api/deployments',
    );
    await page.getByText(`uat / payments`).waitFor({ timeout: 60_000 });
    await page.getByText(expected.production, { exact: true }).waitFor();
    await page.screenshot({
      path: join(resultsDir, 'deployments-tab.png'),
      fullPage: true,
    });
  },
);
