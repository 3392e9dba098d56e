// End-to-end: starts a portal of its own (e2e/portal.mjs: its own sandbox, backend and frontend
// on free ports, SQLite in a temporary directory; never the demo's ports or `.data/`), opens a
// demo service in Debian's Chromium through playwright-core, and checks that the Deployments tab
// shows the versions the sandbox clusters are running (screenshot
// test-results/deployments-tab.png); then deploys a flagged change from the UI through every flag
// step to production and sees a bad one caught in canary with its flag on, the flag turned off
// before the version is rolled back (deployment-succeeded.png, deployment-rolled-back.png); then
// uses the Flags tab: a toggle, a production change waiting for a second person, the kill switch
// (flags-tab.png, flags-tab-after-kill.png); last, the Rollback tab: a bad version in production
// returned to the version before it, canary first, with one click (rollback-tab.png,
// rollback-tab-after.png). Second of all, as it only reads: DORA's metrics of payments-api from
// the history the sandbox GitHub sent as signed webhooks, on its overview and its DORA tab, the
// commits behind lead time and their CSV, its team's card and the organisation page
// (dora-tab.png, dora-drilldown.png, dora-org.png). Last, ephemeral environments: a deploy/* push
// ready in the Environments tab, its quota and policies seen with kubectl, extended, and another
// swept once expired (environments-tab.png, environments-swept.png). Then Create → Flag-ready
// service in the browser: the task's steps (scaffolder-task.png), the new service's Deployments
// tab with its environments and first commit (scaffolded-deployments.png), its flag off
// everywhere (scaffolded-flags.png), its first deployment through the queue to production and
// its DORA cards (scaffolded-dora.png).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { resultsDir, startPortal, waitFor } from './portal.mjs';

let portal;
let browser;

before(async () => {
  portal = await startPortal();
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
  await portal?.stop();
});

/**
 * Signs in as the guest; the catalog (the home page) then lists the demo services. The first
 * test of a run meets a cold portal (the frontend's first build, the catalog's first processing,
 * the DORA history arriving as webhooks): on two busy cores that has taken over two minutes.
 */
async function signIn(page) {
  await page.goto(`${portal.appUrl}/`, { waitUntil: 'domcontentloaded' });
  const enter = page.getByRole('button', { name: 'Enter' });
  await enter.waitFor({ timeout: 240_000 });
  await enter.click();
  await page
    .getByRole('link', { name: 'payments-api' })
    .first()
    .waitFor({ timeout: 240_000 });
}

/** The image tag payments-api runs in a sandbox cluster, asked independently of the portal. */
async function runningTag(cluster) {
  const res = await fetch(
    `${portal.clusterUrls[cluster]}/apis/apps/v1/namespaces/payments/deployments/payments-api`,
  );
  assert.equal(res.status, 200);
  return (await res.json()).spec.template.spec.containers[0].image
    .split(':')
    .pop();
}

test(
  'a developer sees the versions running in each environment on the Deployments tab',
  { timeout: 300_000 },
  async () => {
    // What the sandbox clusters run, asked independently of the portal.
    const expected = {};
    for (const env of ['uat', 'canary', 'production']) {
      expected[env] = await runningTag(env);
    }
    assert.equal(
      new Set(Object.values(expected)).size,
      3,
      'the demo runs three different versions',
    );

    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await signIn(page);

    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/deployments`,
    );
    // The environments card's rows (its title, "Environments", is also the name of a tab now).
    await page.getByText('uat / payments').waitFor({ timeout: 60_000 });
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
    await page.goto(`${portal.appUrl}/catalog/default/component/money-lib`);
    await page
      .getByText('Currency arithmetic shared by the services')
      .waitFor({ timeout: 60_000 });
    // The entity's tabs are links (the new frontend system's entity page).
    const tab = name => page.getByRole('link', { name, exact: true });
    await tab('Overview').waitFor();
    assert.equal(await tab('Deployments').count(), 0);
    assert.equal(await tab('Flags').count(), 0);

    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/deployments`,
    );
    await page.getByText(`uat / payments`).waitFor({ timeout: 60_000 });
    // Where the annotations are, both tabs are.
    assert.equal(await tab('Deployments').count(), 1);
    assert.equal(await tab('Flags').count(), 1);
    await page.getByText(expected.production, { exact: true }).waitFor();
    await page.screenshot({
      path: join(resultsDir, 'deployments-tab.png'),
      fullPage: true,
    });
  },
);

/** The backend API as the guest, for setting the stage and checking outcomes. */
async function api(path, init = {}) {
  const refresh = await fetch(`${portal.backendUrl}/api/auth/guest/refresh`);
  const { backstageIdentity } = await refresh.json();
  const res = await fetch(`${portal.backendUrl}/api/delivery${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${backstageIdentity.token}`,
      'Content-Type': 'application/json',
    },
  });
  return res.json();
}

// Reads only: the DORA history the sandbox GitHub sent as signed webhooks when the portal started.
test(
  'a manager reads DORA metrics on a service, its team and the organisation, and the list behind one',
  { timeout: 600_000 },
  async () => {
    const service = 'component:default/payments-api';
    // The sandbox sends about 16 weeks of history once the backend is up; wait until it is in.
    const seeded = await waitFor(
      'the DORA history of payments-api to arrive',
      async () => {
        const dora = await api(`/dora?entity=${encodeURIComponent(service)}`);
        const m = dora?.metrics;
        return m?.deploymentFrequency?.count > 0 && m?.leadTime?.count > 0
          ? dora
          : undefined;
      },
      300_000,
      [],
    );
    assert.equal(seeded.scope.ref, service);

    const page = await browser.newPage({
      viewport: { width: 1400, height: 1400 },
    });
    await signIn(page);

    // The overview's summary card links to the tab.
    await page.goto(`${portal.appUrl}/catalog/default/component/payments-api`);
    await page
      .getByText('Delivery performance, last 12 weeks')
      .waitFor({ timeout: 60_000 });
    await page
      .getByRole('group', { name: 'Lead time for changes' })
      .getByTestId('tier')
      .waitFor({ timeout: 60_000 });

    // The tab, as the browser asks for it: the last 12 weeks from a local midnight, by week.
    const doraRead = page.waitForResponse(
      r =>
        r.url().includes('/api/delivery/dora?') &&
        r.url().includes('interval=week'),
      { timeout: 60_000 },
    );
    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/dora`,
    );
    const read = await doraRead;
    assert.equal(read.status(), 200);
    const asked = new URL(read.url()).searchParams;
    assert.equal(asked.get('entity'), service);
    assert.match(asked.get('from'), /T00:00:00[+-]\d\d:\d\d$/);
    const dora = await read.json();
    assert.equal(dora.trend.length, 12);

    const card = key => page.getByTestId(`dora-${key}`);
    await card('deploymentFrequency').waitFor({ timeout: 60_000 });
    const value = async key =>
      (await card(key).getByTestId('value').textContent()).trim();
    // Values for people, in the metric's unit.
    assert.match(
      await value('deploymentFrequency'),
      /^\d+(\.\d)? \/ (day|week|month)$/,
    );
    assert.match(await value('leadTime'), /^\d+ (s|min|h|d)( \d+ (min|h))?$/);
    assert.match(await value('changeFailureRate'), /^\d+(\.\d)? %$/);
    assert.match(await value('successRate'), /^\d+(\.\d)? %$/);
    // The sample is the backend's count.
    assert.equal(
      (
        await card('deploymentFrequency').getByTestId('sample').textContent()
      ).trim(),
      `from ${dora.metrics.deploymentFrequency.count.toLocaleString(
        'en-US',
      )} deployment${dora.metrics.deploymentFrequency.count === 1 ? '' : 's'}`,
    );
    // A tier badge on each tiered metric with a value, as the backend tiered it.
    for (const key of [
      'deploymentFrequency',
      'leadTime',
      'changeFailureRate',
    ]) {
      assert.equal(
        await card(key).getByTestId('tier').getAttribute('data-tier'),
        dora.metrics[key].tier,
        `${key}'s tier`,
      );
    }
    // A target verdict where one applies, and a chart on every card.
    assert.equal(
      await card('leadTime').getByTestId('target').getAttribute('data-met'),
      String(dora.metrics.leadTime.target.met),
    );
    assert.equal(await page.getByTestId('trend').count(), 6);
    await card('leadTime')
      .locator('.recharts-surface')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({
      path: join(resultsDir, 'dora-tab.png'),
      fullPage: true,
    });

    // The commits behind lead time, and their CSV through the authenticated fetch.
    await page
      .getByRole('button', {
        name: 'Show the commits behind Lead time for changes',
      })
      .click();
    const dialog = page.getByRole('dialog', {
      name: 'Lead time for changes: the commits behind it',
    });
    await dialog.getByRole('row').nth(1).waitFor({ timeout: 60_000 });
    assert.ok((await dialog.getByRole('row').count()) > 1, 'commits listed');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      dialog.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^dora-.*\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv.split('\r\n')[0], /^entityRef,sha,committedAt/);
    assert.ok(csv.split('\r\n').length > 2, 'the CSV has rows');
    await page.screenshot({
      path: join(resultsDir, 'dora-drilldown.png'),
      fullPage: true,
    });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The team's page: rolled up over what it owns.
    await page.goto(`${portal.appUrl}/catalog/default/group/team-payments`);
    await page
      .getByText(/^Rolled up over \d+ services?, \d+ teams?$/)
      .waitFor({ timeout: 60_000 });

    // The organisation page from the sidebar: acme by default, its teams in a table.
    await page.getByRole('link', { name: 'DORA', exact: true }).first().click();
    await page.waitForURL(/\/dora(\?|$)/, { timeout: 30_000 });
    await page.getByTestId('dora-metrics').waitFor({ timeout: 60_000 });
    assert.match(
      await page.getByLabel('Group').textContent(),
      /acme \(organization\)/i,
    );
    const teams = page.getByRole('region', { name: /^Teams of /i });
    await teams.getByRole('link', { name: 'team-payments' }).waitFor({
      timeout: 60_000,
    });
    await teams
      .getByTestId('leadTime-group:default/team-payments')
      .getByTestId('tier')
      .waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: join(resultsDir, 'dora-org.png'),
      fullPage: true,
    });
  },
);

// Runs after the first test, which reads the seeded versions before this one changes them.
test(
  'a developer deploys a flagged change to production, and a bad one is caught in canary: its flag off first, then rolled back',
  { timeout: 1_800_000 },
  async () => {
    // The portal's database is new: no deployment has been requested before this test.
    const before = await api(
      '/entities/default/component/payments-api/deployments',
    );
    assert.deepEqual(before.queue, []);
    assert.deepEqual(before.history, []);
    const { commits } = await api(
      '/entities/default/component/payments-api/commits',
    );
    // The subject line: both changes ship behind a flag named in a `Flag:` trailer.
    const good = commits.find(
      c => c.message.split('\n')[0] === 'Send the redesigned receipt email',
    );
    const bad = commits.find(
      c =>
        c.message.split('\n')[0] === 'Switch payment provider client to HTTP/2',
    );
    assert.ok(good && bad, 'the demo commits are there');

    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await signIn(page);
    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/deployments`,
    );

    async function deploy(commit) {
      const label = `Deploy ${commit.shortSha}`;
      await page
        .getByRole('button', { name: label })
        .waitFor({ timeout: 60_000 });
      await page.waitForFunction(
        l => {
          const b = document.querySelector(`button[aria-label="${l}"]`);
          return b && !b.disabled;
        },
        label,
        { timeout: 60_000 },
      );
      await page.getByRole('button', { name: label }).click();
      const requested = page.getByText(/Requested \w+: token/);
      await requested.waitFor({ timeout: 30_000 });
      const token = (await requested.textContent()).match(
        /DEP-\d{13}-\d{6}/,
      )[0];
      await page
        .getByRole('button', { name: `Start ${token}` })
        .click({ timeout: 60_000 });
      return token;
    }

    const goodToken = await deploy(good);
    // Seven flag steps, each watched for its window: minutes, more on a busy machine.
    const succeeded = await finished(goodToken);
    assert.deepEqual(
      { status: succeeded.status, reason: succeeded.reason },
      { status: 'succeeded', reason: undefined },
    );
    // Scoped to this deployment's own panel.
    await page
      .getByRole('region', { name: `Deployment ${goodToken}` })
      .getByText('Deployed to production')
      .waitFor({ timeout: 60_000 });
    // Its flag went on step by step after each environment verified, canary and production.
    assert.deepEqual(succeeded.flags, ['new-receipt-email']);
    const flagStages = succeeded.stages
      .filter(s => s.kind === 'flags')
      .map(s => `${s.name}:${s.status}`);
    assert.deepEqual(flagStages, [
      'uat.flags-100:succeeded',
      'canary.flags-10:succeeded',
      'canary.flags-50:succeeded',
      'canary.flags-100:succeeded',
      'production.flags-10:succeeded',
      'production.flags-50:succeeded',
      'production.flags-100:succeeded',
    ]);
    const receipt = await api(
      '/entities/default/component/payments-api/flags/new-receipt-email',
    );
    assert.deepEqual(
      receipt.environments.map(e => [e.environment, e.rolloutPercent]),
      [
        ['uat', 100],
        ['canary', 100],
        ['production', 100],
      ],
    );
    for (const env of ['uat', 'canary', 'production']) {
      assert.equal(await runningTag(env), good.sha);
    }
    await page.screenshot({
      path: join(resultsDir, 'deployment-succeeded.png'),
      fullPage: true,
    });

    const badToken = await deploy(bad);
    const panel = page.getByRole('region', { name: `Deployment ${badToken}` });
    await finished(badToken);
    await panel.getByText('Rolled back').first().waitFor({ timeout: 60_000 });
    const rolledBack = await api(`/deployments/${badToken}`);
    assert.equal(rolledBack.status, 'rolled_back');
    // The bad version fails on /payments (30 % of those requests, 13.5 % of all with the flag
    // on for everyone). With its flag off it is healthy (canary.verify passes); once the flag is
    // on for enough users in canary, the rollback engine sees the errors sit on the flag's
    // endpoint, turns the flag off on its own (level 1) and stops the deployment.
    const byName = Object.fromEntries(rolledBack.stages.map(s => [s.name, s]));
    assert.equal(byName['canary.verify'].status, 'succeeded');
    assert.match(
      rolledBack.reason,
      /^canary\.flags-\d+: Stopped for rollback RB-\d{13}-\d{6}: Automated/,
    );
    // The engine's rollback ends with its own health verification of canary.
    const automated = await waitFor(
      'the automated rollback to finish',
      async () => {
        const { items } = await api(
          '/entities/default/component/payments-api/rollbacks',
        );
        const found = items.find(r => rolledBack.reason.includes(r.id));
        return found && found.status !== 'running' ? found : undefined;
      },
      3 * 60_000,
      [],
    );
    assert.deepEqual(
      {
        level: automated.level,
        environment: automated.environment,
        automated: automated.automated,
        flags: automated.flags,
        status: automated.status,
      },
      {
        level: 1,
        environment: 'canary',
        automated: true,
        flags: ['http2-payment-client'],
        status: 'succeeded',
      },
    );
    assert.match(
      automated.reason,
      /on the new change's endpoints \(\/payments\)/,
    );
    // The flag went off first (the engine's rollback), and only then was the version rolled back.
    assert.equal(byName['canary.rollback'].status, 'succeeded');
    const flagOff = automated.stages.find(s => s.name === 'canary.flags-off');
    assert.equal(flagOff.status, 'succeeded');
    assert.ok(
      flagOff.finishedAt <= byName['canary.rollback'].startedAt,
      'flag off before the rollback',
    );
    const http2 = await api(
      '/entities/default/component/payments-api/flags/http2-payment-client',
    );
    assert.equal(
      http2.environments.find(e => e.environment === 'canary').on,
      false,
    );
    const { history } = await api(
      '/entities/default/component/payments-api/flags/http2-payment-client/history',
    );
    assert.ok(
      history.some(
        h =>
          h.action === 'killed' &&
          h.environment === 'canary' &&
          h.deployment === automated.id,
      ),
      'the kill is recorded with the rollback',
    );
    // An incident was opened and, health restored, resolved.
    const { items: incidents } = await api(
      '/entities/default/component/payments-api/incidents',
    );
    const incident = incidents.find(i => i.rollbackId === automated.id);
    assert.equal(incident.actedBy, 'delivery');
    assert.ok(incident.resolvedAt, 'resolved');
    // Canary is back on the good version, and production never saw the bad one.
    assert.equal(await runningTag('canary'), good.sha);
    assert.equal(await runningTag('production'), good.sha);
    // The requester was told through Backstage notifications.
    const refresh = await fetch(`${portal.backendUrl}/api/auth/guest/refresh`);
    const { backstageIdentity } = await refresh.json();
    const inbox = await (
      await fetch(
        `${portal.backendUrl}/api/notifications/notifications?limit=100`,
        {
          headers: { Authorization: `Bearer ${backstageIdentity.token}` },
        },
      )
    ).json();
    const told = inbox.notifications
      .filter(
        n =>
          n.payload.description?.includes(goodToken) ||
          n.payload.description?.includes(badToken),
      )
      .map(n => n.payload.title);
    for (const title of [
      'Your deployment is called: start it now',
      'Deployment reached production',
      'Deployment rolled back',
    ]) {
      assert.ok(
        told.includes(title),
        `notified: ${title} (got ${told.join(', ')})`,
      );
    }
    await page.screenshot({
      path: join(resultsDir, 'deployment-rolled-back.png'),
      fullPage: true,
    });
  },
);

// Runs after the deployments above, which leave new-receipt-email on everywhere.
test(
  'an on-call engineer turns flags on and off on the Flags tab; production waits for a second person',
  { timeout: 300_000 },
  async () => {
    const flags = '/entities/default/component/payments-api/flags';
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await signIn(page);
    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/flags`,
    );
    const table = page.getByRole('table', { name: 'Feature flags' });
    await table.getByText('http2-payment-client').waitFor({ timeout: 60_000 });
    await table.getByText('new-receipt-email').waitFor();
    await page.screenshot({
      path: join(resultsDir, 'flags-tab.png'),
      fullPage: true,
    });

    const settings = async (key, environment) =>
      (await api(`${flags}/${key}`)).environments.find(
        e => e.environment === environment,
      );

    // Canary turns on at once (the bad deployment above left the flag on in UAT, off in canary).
    assert.equal((await settings('http2-payment-client', 'canary')).on, false);
    await page
      .getByRole('checkbox', { name: 'Toggle http2-payment-client in canary' })
      .click();
    await page.waitForFunction(
      () =>
        document.querySelector(
          'input[aria-label="Toggle http2-payment-client in canary"]',
        )?.checked === true,
      undefined,
      { timeout: 30_000 },
    );
    await waitFor(
      'http2-payment-client on in canary',
      async () => (await settings('http2-payment-client', 'canary')).on,
      30_000,
      [],
    );

    // Production waits for someone other than the guest.
    await page
      .getByRole('checkbox', {
        name: 'Toggle http2-payment-client in production',
      })
      .click();
    await page
      .getByLabel(/^Pending approval: http2-payment-client in production/)
      .first()
      .waitFor({ timeout: 30_000 });
    assert.equal(
      (await settings('http2-payment-client', 'production')).on,
      false,
    );
    const { pending } = await api(flags);
    assert.deepEqual(
      pending.map(p => [p.flagKey, p.environment, p.status]),
      [['http2-payment-client', 'production', 'pending']],
    );

    // The kill switch: new-receipt-email off everywhere, with a reason.
    await page.getByRole('button', { name: 'Kill new-receipt-email' }).click();
    await page.getByLabel('Reason').fill('INC-7: receipts bounce');
    await page.getByRole('button', { name: /^Kill in / }).click();
    await waitFor(
      'new-receipt-email off everywhere',
      async () =>
        (
          await Promise.all(
            ['uat', 'canary', 'production'].map(e =>
              settings('new-receipt-email', e),
            ),
          )
        ).every(e => !e.on),
      30_000,
      [],
    );
    const { history } = await api(`${flags}/new-receipt-email/history`);
    const killed = history.filter(h => h.action === 'killed');
    assert.deepEqual(
      killed.map(h => [h.environment, h.actor, h.reason]).sort(),
      ['canary', 'production', 'uat'].map(e => [
        e,
        'user:default/guest',
        'INC-7: receipts bounce',
      ]),
    );
    await page.screenshot({
      path: join(resultsDir, 'flags-tab-after-kill.png'),
      fullPage: true,
    });
  },
);

// Runs last: after the bad change was caught in canary, which left the queue locked.
test(
  'an on-call engineer rolls a bad production version back canary-first with one click on the Rollback tab',
  { timeout: 1_200_000 },
  async () => {
    const service = '/entities/default/component/payments-api';
    // The lock the engine left after the bad change; an owner unlocks it once understood.
    const { lock } = await api(`${service}/deployments`);
    assert.equal(lock?.lockedBy, 'delivery');
    await api(`${service}/queue/unlock`, { method: 'POST' });
    const before = await runningTag('production');

    // A technically healthy change that loses orders reaches production: the engine holds it
    // for a person (a business drop alone is not a technical breach).
    const { commits } = await api(`${service}/commits`);
    const checkout = commits.find(
      c => c.message.split('\n')[0] === 'Simplify the checkout form',
    );
    assert.ok(checkout, 'the demo commit is there');
    const requested = await api(`${service}/deployments`, {
      method: 'POST',
      body: JSON.stringify({ commitSha: checkout.sha }),
    });
    const token = requested.deployment.token;
    await api(`/deployments/${token}/start`, { method: 'POST' });
    const deployed = await finished(token);
    assert.equal(deployed.status, 'succeeded', deployed.reason);
    assert.equal(await runningTag('production'), checkout.sha);

    const page = await browser.newPage({
      viewport: { width: 1400, height: 1400 },
    });
    await signIn(page);
    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/rollback`,
    );
    const production = page.getByTestId('health-production');
    await production.waitFor({ timeout: 60_000 });
    // The engine asks a person, naming the business drop.
    await page
      .getByTestId('decision-production')
      .getByText(/below its baseline/)
      .first()
      .waitFor({ timeout: 120_000 });
    await page.screenshot({
      path: join(resultsDir, 'rollback-tab.png'),
      fullPage: true,
    });

    await production
      .getByRole('group', { name: 'Rollback levels in production' })
      .getByRole('button', { name: /^2 · Roll back to stable/ })
      .click();
    const dialog = page.getByRole('dialog', {
      name: 'Level 2 · Roll back to stable in production',
    });
    await dialog.getByText(/First returns canary/).waitFor();
    await dialog
      .getByLabel(/Reason/)
      .fill('Orders dropped by a third since the checkout change');
    await dialog.getByRole('button', { name: 'Start level 2' }).click();

    const rollback = await waitFor(
      'the rollback to finish',
      async () => {
        const { items } = await api(`${service}/rollbacks`);
        const found = items.find(r => r.level === 2 && !r.automated);
        return found && found.status !== 'running' ? found : undefined;
      },
      5 * 60_000,
      [],
    );
    assert.equal(rollback.status, 'succeeded', rollback.outcomeReason);
    assert.equal(rollback.requestedBy, 'user:default/guest');
    // Canary first, then production, each verified, both on the version production ran before.
    assert.deepEqual(
      rollback.stages.map(s => `${s.name}:${s.status}`),
      [
        'canary.stable-rollback:succeeded',
        'canary.verify:succeeded',
        'production.stable-rollback:succeeded',
        'production.verify:succeeded',
      ],
    );
    assert.equal(rollback.targetVersion, before);
    assert.equal(await runningTag('canary'), before);
    assert.equal(await runningTag('production'), before);
    // The queue is locked with the reason, and the incident is recorded.
    const after = await api(`${service}/deployments`);
    assert.equal(after.lock?.lockedBy, 'delivery');
    assert.match(after.lock.reason, new RegExp(rollback.id));
    const { items: incidents } = await api(`${service}/incidents`);
    const incident = incidents.find(i => i.rollbackId === rollback.id);
    assert.equal(incident.actedBy, 'user:default/guest');
    assert.equal(incident.level, 2);
    assert.ok(incident.resolvedAt, 'resolved once health was restored');
    await page.getByText(rollback.id).first().waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: join(resultsDir, 'rollback-tab-after.png'),
      fullPage: true,
    });
  },
);

/** A deployment once it has ended, read from the API (up to 12 minutes). */
function finished(token) {
  return waitFor(
    `${token} ended`,
    async () => {
      const deployment = await api(`/deployments/${token}`);
      return ['queued', 'called', 'running'].includes(deployment.status)
        ? undefined
        : deployment;
    },
    12 * 60_000,
    [],
  );
}

/** kubectl against this portal's sandbox UAT cluster: an independent client of its API. */
function kubectl(...args) {
  const home = mkdtempSync(join(tmpdir(), 'e2e-kubectl-'));
  writeFileSync(join(home, 'kubeconfig'), '');
  return new Promise(resolve => {
    execFile(
      process.env.KUBECTL ?? 'kubectl',
      [
        '--server',
        portal.clusterUrls.uat,
        '--token',
        'sandbox',
        '--insecure-skip-tls-verify',
        '--request-timeout=10s',
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          KUBECONFIG: join(home, 'kubeconfig'),
        },
        timeout: 45_000,
      },
      (error, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Pushes a new commit to a branch of payments-api in this portal's sandbox GitHub. */
async function pushBranch(branch, message) {
  const res = await fetch(
    `${portal.githubUrl}/_sandbox/repos/acme/payments-api/commits`,
    {
      method: 'POST',
      headers: {
        authorization: 'token sandbox-token',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        branch,
        message,
        checks: [{ name: 'build', state: 'success' }],
      }),
    },
  );
  assert.equal(res.status, 201, await res.text());
}

test(
  'a developer pushes deploy/try-this, finds it ready in the Environments tab, extends it, and an expired one is swept',
  { timeout: 300_000 },
  async () => {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await signIn(page);
    await page.goto(
      `${portal.appUrl}/catalog/default/component/payments-api/environments`,
    );
    await page
      .getByText('Ephemeral environments for', { exact: false })
      .first()
      .waitFor({ timeout: 60_000 });

    // A push to deploy/try-this in the sandbox GitHub: signed create and push webhooks.
    const pushedAt = Date.now();
    await pushBranch('deploy/try-this', 'Try this');
    const live = page.getByRole('table', { name: 'Live environments' });
    const row = live.locator('tr', {
      has: page.getByText('deploy/try-this', { exact: true }),
    });
    await row.getByText('ready', { exact: true }).waitFor({ timeout: 60_000 });
    const seconds = (Date.now() - pushedAt) / 1000;
    console.log(
      `deploy/try-this was ready in the tab ${seconds.toFixed(
        1,
      )} s after the push`,
    );
    assert.ok(seconds < 30, `ready within seconds, took ${seconds} s`);

    const listed = await api(
      '/entities/default/component/payments-api/ephemeral-environments',
    );
    const env = listed.items.find(
      e => e.branch === 'deploy/try-this' && e.status === 'ready',
    );
    assert.match(env.namespace, /^payments-api-try-this-[0-9a-f]{10}$/);
    await row.getByText(env.namespace).first().waitFor();
    await row.getByRole('progressbar', { name: /^pods: 1 of 10$/ }).waitFor();

    // What it was given, through kubectl.
    const quota = await kubectl(
      'get',
      'resourcequota',
      'ephemeral-quota',
      '-n',
      env.namespace,
      '-o',
      'json',
    );
    assert.ok(quota.ok, quota.stderr);
    assert.equal(JSON.parse(quota.stdout).spec.hard.pods, '10');
    const policies = await kubectl(
      'get',
      'networkpolicies',
      '-n',
      env.namespace,
      '-o',
      'name',
    );
    assert.ok(policies.ok, policies.stderr);
    assert.deepEqual(policies.stdout.trim().split('\n').sort(), [
      'networkpolicy.networking.k8s.io/ephemeral-allow',
      'networkpolicy.networking.k8s.io/ephemeral-default-deny',
    ]);

    // Extend by an hour: the countdown, the label and the annotation move.
    const timer = page.getByRole('timer', {
      name: 'Time left for deploy/try-this',
    });
    assert.match(await timer.textContent(), /^0:\d\d left$/);
    await page.getByRole('button', { name: 'Extend deploy/try-this' }).click();
    await page.getByRole('menuitem', { name: /^\+1 h/ }).click();
    await page
      .getByRole('timer', { name: 'Time left for deploy/try-this' })
      .getByText(/^1:00:\d\d left$/)
      .waitFor({ timeout: 15_000 });
    const extended = await api(`/ephemeral-environments/${env.id}`);
    assert.equal(
      Date.parse(extended.expiresAt),
      Date.parse(env.expiresAt) + 3_600_000,
    );
    const ns = await kubectl('get', 'namespace', env.namespace, '-o', 'json');
    const metadata = JSON.parse(ns.stdout).metadata;
    assert.equal(
      metadata.labels.expiration,
      `${extended.expiresAt.slice(0, 19).replace(/:/g, '-')}Z`,
    );
    assert.equal(
      metadata.annotations['delivery.backstage.io/expiration'],
      `${extended.expiresAt.slice(0, 19)}Z`,
    );
    await page.screenshot({
      path: join(resultsDir, 'environments-tab.png'),
      fullPage: true,
    });

    // Another branch, not extended: it expires after 45 s and the sweep (every 5 s) removes it.
    await pushBranch('deploy/short-lived', 'Try something quick');
    const shortRow = live.locator('tr', {
      has: page.getByText('deploy/short-lived', { exact: true }),
    });
    await shortRow
      .getByText('ready', { exact: true })
      .waitFor({ timeout: 60_000 });
    const short = (
      await api(
        '/entities/default/component/payments-api/ephemeral-environments',
      )
    ).items.find(
      e => e.branch === 'deploy/short-lived' && e.status === 'ready',
    );
    const deleted = page.getByRole('table', { name: 'Deleted environments' });
    await deleted
      .getByText('deploy/short-lived', { exact: true })
      .waitFor({ timeout: 120_000 });
    const swept = await api(`/ephemeral-environments/${short.id}`);
    assert.equal(swept.status, 'deleted');
    assert.equal(swept.statusReason, 'expired');
    assert.ok(Date.parse(swept.deletedAt) >= Date.parse(short.expiresAt));
    const gone = await kubectl('get', 'namespace', short.namespace);
    assert.equal(gone.ok, false);
    assert.match(gone.stderr, /NotFound|not found/);
    // The extended one is still there.
    await row.getByText('ready', { exact: true }).waitFor();
    await page.screenshot({
      path: join(resultsDir, 'environments-swept.png'),
      fullPage: true,
    });
  },
);

test(
  'a developer creates a flag-ready service from the template, and its Deployments, Flags and DORA tabs work',
  { timeout: 420_000 },
  async () => {
    const name = 'greeting-service';
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    await signIn(page);

    // Create → the template's card → Choose.
    await page.goto(`${portal.appUrl}/create`);
    const card = page
      .locator('article, .MuiCard-root, [class*="Card"]')
      .filter({ hasText: 'Flag-ready service' })
      .first();
    await card.waitFor({ timeout: 120_000 });
    await card.getByRole('button', { name: 'Choose' }).click();

    // The form: a name that is not DNS-safe is refused before anything runs.
    await page.getByLabel('Name').first().fill('Greeting_Service');
    await page
      .getByLabel('Description')
      .first()
      .fill('Says hello, behind a flag');
    const owner = page.getByLabel('Owner').first();
    await owner.click();
    await owner.fill('team-payments');
    await page
      .getByRole('option', { name: /team-payments/ })
      .first()
      .click({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    await page
      .getByText(/does not match pattern|must match pattern/i)
      .first()
      .waitFor({ timeout: 15_000 });
    await page.getByLabel('Name').first().fill(name);
    await page.getByRole('button', { name: 'Next' }).click();

    await page
      .getByLabel('First feature flag')
      .first()
      .fill('friendly-greeting');
    await page.getByRole('button', { name: 'Review' }).click();
    const startedAt = Date.now();
    await page.getByRole('button', { name: 'Create' }).click();

    // The task page: every step, then the links to what was made.
    const open = page.getByRole('link', { name: /Open in catalog/i }).first();
    await open.waitFor({ timeout: 240_000 });
    console.log(
      `the template's task finished ${((Date.now() - startedAt) / 1000).toFixed(
        1,
      )} s after Create`,
    );
    for (const step of [
      'Check the owner',
      'Publish to GitHub',
      'Register in the catalog',
      'Create the first feature flag',
    ]) {
      await page.getByText(step).first().waitFor();
    }
    await page.screenshot({
      path: join(resultsDir, 'scaffolder-task.png'),
      fullPage: true,
    });

    // The repository the template made, through the sandbox GitHub's API.
    const repo = await fetch(`${portal.githubUrl}/repos/acme/${name}`, {
      headers: { authorization: 'token sandbox-token' },
    });
    assert.equal(repo.status, 200);
    assert.deepEqual((await repo.json()).topics.sort(), [
      'delivery',
      'flag-ready',
    ]);

    // Deployments: its environments (the registered workload) and its first commit with CI.
    await open.click();
    await page.goto(
      `${portal.appUrl}/catalog/default/component/${name}/deployments`,
    );
    for (const env of ['uat', 'canary', 'production']) {
      await page
        .getByText(`${env} / ${name}`)
        .first()
        .waitFor({ timeout: 60_000 });
    }
    await page
      .getByText(`Create ${name} from the Flag-ready service template`)
      .first()
      .waitFor({ timeout: 60_000 });
    await page
      .getByText(/CI passed/)
      .first()
      .waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: join(resultsDir, 'scaffolded-deployments.png'),
      fullPage: true,
    });

    // Flags: the first flag, off in every environment.
    const flags = await api(`/entities/default/component/${name}/flags`);
    const flag = flags.flags.find(f => f.key === 'friendly-greeting');
    assert.deepEqual(
      flag.environments.map(e => [e.environment, e.on]),
      [
        ['uat', false],
        ['canary', false],
        ['production', false],
      ],
    );
    await page.goto(`${portal.appUrl}/catalog/default/component/${name}/flags`);
    await page
      .getByText('friendly-greeting', { exact: true })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: join(resultsDir, 'scaffolded-flags.png'),
      fullPage: true,
    });

    // DORA: nothing deployed yet, and the tab says so.
    await page.goto(`${portal.appUrl}/catalog/default/component/${name}/dora`);
    await page
      .getByText('No deployments in the last 12 weeks')
      .waitFor({ timeout: 60_000 });

    // Its first deployment goes through the queue like any other's: the pushed commit to UAT,
    // canary and production; then DORA counts it.
    const service = `/entities/default/component/${name}`;
    const { commits } = await api(`${service}/commits`);
    const first = commits[0];
    assert.equal(
      first.message.split('\n')[0],
      `Create ${name} from the Flag-ready service template`,
    );
    const requested = await api(`${service}/deployments`, {
      method: 'POST',
      body: JSON.stringify({ commitSha: first.sha }),
    });
    assert.ok(requested.deployment, JSON.stringify(requested));
    const token = requested.deployment.token;
    await api(`/deployments/${token}/start`, { method: 'POST' });
    const deployed = await finished(token);
    assert.equal(deployed.status, 'succeeded', deployed.reason);
    const production = await fetch(
      `${portal.clusterUrls.production}/apis/apps/v1/namespaces/${name}/deployments/${name}`,
    );
    assert.equal(
      (await production.json()).spec.template.spec.containers[0].image,
      `sandbox.local/acme/${name}:${first.sha}`,
    );
    await page.goto(`${portal.appUrl}/catalog/default/component/${name}/dora`);
    const frequency = page.getByTestId('dora-deploymentFrequency');
    await frequency.waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: join(resultsDir, 'scaffolded-dora.png'),
      fullPage: true,
    });
  },
);
