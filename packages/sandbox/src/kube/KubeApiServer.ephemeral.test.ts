/*
 * What an ephemeral environment needs from the sandbox cluster: LimitRanges, label and annotation
 * validation, ResourceQuota status and admission, namespace deletion at scale, and the app and
 * dashboard pages. kubectl is the independent client where it has something to say.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeServer, startKubeServer } from './KubeApiServer';

jest.setTimeout(60_000);

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

let server: KubeServer;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectlAt(url: string, ...args: string[]): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      KUBECTL,
      [
        '--server',
        url,
        '--request-timeout=10s',
        '--cache-dir',
        join(dir, 'cache'),
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          KUBECONFIG: join(dir, 'kubeconfig'),
        },
        timeout: 45_000,
      },
      (error, stdout, stderr) => {
        let code = error ? 1 : 0;
        if (error && typeof (error as any).code === 'number') {
          code = (error as any).code;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function kubectl(...args: string[]): Promise<Run> {
  return kubectlAt(server.url, ...args);
}

function writeFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function requestAt(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

function request(
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
) {
  return requestAt(server.url, method, path, body, contentType);
}

async function until<T>(
  read: () => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(r => setTimeout(r, 20));
  }
}

function namespace(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function deployment(
  name: string,
  ns: string,
  replicas: number,
  resources?: Record<string, unknown>,
  extra: Record<string, any> = {},
) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels, ...(extra.metadata ?? {}) },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      ...(extra.spec ?? {}),
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name,
              image: `example/${name}:1.0`,
              ...(resources ? { resources } : {}),
            },
          ],
        },
      },
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-sandbox-ephemeral-'));
  writeFileSync(join(dir, 'kubeconfig'), '');
  server = await startKubeServer({ name: 'ephemeral', rolloutStepMs: 20 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LimitRanges', () => {
  it('are served as core v1 limitranges (short name limits) to kubectl', async () => {
    const core = await request('GET', '/api/v1');
    expect(
      core.body.resources.find((r: any) => r.name === 'limitranges'),
    ).toMatchObject({
      singularName: 'limitrange',
      namespaced: true,
      kind: 'LimitRange',
      shortNames: ['limits'],
    });
    await request('POST', '/api/v1/namespaces', namespace('lr'));
    const file = writeFile(
      'limits.yaml',
      `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    max: {cpu: "2", memory: 1024Mi}
`,
    );
    const created = await kubectl('create', '-f', file);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('limitrange/defaults created\n');

    const table = await kubectl('get', 'limits', '-n', 'lr');
    const [header, row] = table.stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'CREATED AT']);
    expect(row.split(/\s+/)[0]).toBe('defaults');
    expect(row.split(/\s+/)[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The server's defaulting: the default request is the default limit; quantities canonical.
    const yaml = await kubectl(
      'get',
      'limitrange',
      'defaults',
      '-n',
      'lr',
      '-o',
      'yaml',
    );
    expect(yaml.stdout).toContain('kind: LimitRange');
    const json = JSON.parse(
      (await kubectl('get', 'limits', 'defaults', '-n', 'lr', '-o', 'json'))
        .stdout,
    );
    expect(json.spec.limits).toEqual([
      {
        type: 'Container',
        default: { cpu: '500m', memory: '256Mi' },
        defaultRequest: { cpu: '500m', memory: '256Mi' },
        max: { cpu: '2', memory: '1Gi' },
      },
    ]);
  });

  it('refuses unknown limit types and Pod defaults with the real messages', async () => {
    const bad = await request('POST', '/api/v1/namespaces/lr/limitranges', {
      metadata: { name: 'bad' },
      spec: {
        limits: [
          { type: 'Containers', max: { cpu: '1' } },
          { type: 'Pod', default: { cpu: '1' } },
          { type: 'Container', max: { cpu: '1' }, min: { cpu: '2' } },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.message).toBe(
      'LimitRange "bad" is invalid: [spec.limits[0].type: Invalid value: "Containers": must be a standard limit type or fully qualified, ' +
        "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod', " +
        'spec.limits[2].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1, ' +
        // Defaulting gave item 2 a default limit (its max) and a default request (that limit).
        'spec.limits[2].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1, ' +
        'spec.limits[2].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1]',
    );
    const kubectlRun = await kubectl(
      'create',
      '-f',
      writeFile(
        'bad-limits.yaml',
        'apiVersion: v1\nkind: LimitRange\nmetadata: {name: typo, namespace: lr}\nspec:\n  limits:\n  - type: container\n    max: {cpu: "1"}\n',
      ),
    );
    expect(kubectlRun.code).not.toBe(0);
    expect(kubectlRun.stderr).toContain(
      'The LimitRange "typo" is invalid: spec.limits[0].type: Invalid value: "container": must be a standard limit type or fully qualified',
    );
    const duplicate = await request(
      'POST',
      '/api/v1/namespaces/lr/limitranges',
      {
        metadata: { name: 'twice' },
        spec: {
          limits: [
            { type: 'Container', max: { cpu: '1' } },
            { type: 'Container', max: { cpu: '2' } },
            { type: 'example.com/gpu', max: { 'example.com/gpu': '1' } },
          ],
        },
      },
    );
    expect(duplicate.body.message).toBe(
      'LimitRange "twice" is invalid: spec.limits[1].type: Duplicate value: "Container"',
    );
  });
});

describe('labels and annotations', () => {
  it('are validated on every object, as apimachinery does, on create', async () => {
    const res = await request(
      'POST',
      '/api/v1/namespaces',
      namespace('payments-api-try-this-3f9a2c1b0d', {
        'app.kubernetes.io/managed-by': 'backstage-delivery',
        expiration: '2024-01-15T15:30:00Z',
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: {
        name: 'payments-api-try-this-3f9a2c1b0d',
        kind: 'Namespace',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "2024-01-15T15:30:00Z": ${LABEL_VALUE_MESSAGE}`,
            field: 'metadata.labels',
          },
        ],
      },
    });
    expect(res.body.message).toBe(
      `Namespace "payments-api-try-this-3f9a2c1b0d" is invalid: metadata.labels: Invalid value: "2024-01-15T15:30:00Z": ${LABEL_VALUE_MESSAGE}`,
    );

    // The label-safe form and the exact time as an annotation are fine.
    const ok = await request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'payments-api-try-this-3f9a2c1b0d',
        labels: {
          'app.kubernetes.io/managed-by': 'backstage-delivery',
          'delivery.backstage.io/ephemeral': 'true',
          'delivery.backstage.io/service': 'payments-api',
          'delivery.backstage.io/owner': 'team-payments',
          'delivery.backstage.io/branch': 'deploy-try-this',
          expiration: '2024-01-15T15-30-00Z',
        },
        annotations: {
          'delivery.backstage.io/expiration': '2024-01-15T15:30:00Z',
          'delivery.backstage.io/branch': 'deploy/try-this',
        },
      },
    });
    expect(ok.status).toBe(201);

    const keys = await request('POST', '/api/v1/namespaces/lr/configmaps', {
      metadata: {
        name: 'keys',
        labels: {
          'delivery.backstage.io/branch/name': 'x',
          'Example.com/x': 'y',
          [`${'a'.repeat(64)}`]: 'z',
          ok: 'x'.repeat(64),
        },
        annotations: { '/nothing': 'v', 'UPPER.example.com/Case': 'fine' },
      },
    });
    expect(keys.status).toBe(422);
    const QUALIFIED = NAME_PART_MESSAGE.replace('name part ', '');
    expect(
      keys.body.details.causes.map((c: any) => [c.field, c.message]),
    ).toEqual([
      [
        'metadata.labels',
        `Invalid value: "Example.com/x": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
      [
        'metadata.labels',
        `Invalid value: "${'a'.repeat(
          64,
        )}": name part must be no more than 63 characters`,
      ],
      [
        'metadata.labels',
        `Invalid value: "delivery.backstage.io/branch/name": a qualified name ${QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
      [
        'metadata.labels',
        `Invalid value: "${'x'.repeat(
          64,
        )}": must be no more than 63 characters`,
      ],
      [
        'metadata.annotations',
        'Invalid value: "/nothing": prefix part must be non-empty',
      ],
    ]);
  });

  it('limits annotations to 256 KiB in total', async () => {
    const big = await request('POST', '/api/v1/namespaces/lr/configmaps', {
      metadata: {
        name: 'big',
        annotations: { a: 'x'.repeat(200_000), b: 'y'.repeat(62_144) },
      },
    });
    expect(big.status).toBe(422);
    expect(big.body.message).toBe(
      'ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    );
    const justFits = await request('POST', '/api/v1/namespaces/lr/configmaps', {
      metadata: {
        name: 'fits',
        annotations: { a: 'x'.repeat(200_000), b: 'y'.repeat(62_142) },
      },
    });
    expect(justFits.status).toBe(201);
  });

  it('are validated on update and patch too, and kubectl prints the error', async () => {
    const created = await request(
      'POST',
      '/apis/apps/v1/namespaces/lr/deployments',
      deployment('web', 'lr', 1),
    );
    expect(created.status).toBe(201);
    const merge = await request(
      'PATCH',
      '/apis/apps/v1/namespaces/lr/deployments/web',
      { metadata: { labels: { expiration: '2024-01-15T15:30:00Z' } } },
      'application/merge-patch+json',
    );
    expect(merge.status).toBe(422);
    expect(merge.body.message).toBe(
      `Deployment.apps "web" is invalid: metadata.labels: Invalid value: "2024-01-15T15:30:00Z": ${LABEL_VALUE_MESSAGE}`,
    );
    const current = (
      await request('GET', '/apis/apps/v1/namespaces/lr/deployments/web')
    ).body;
    // The rollout moves the resourceVersion on: replace whatever is there.
    delete current.metadata.resourceVersion;
    current.spec.template.metadata.labels['delivery.backstage.io/branch'] =
      'deploy/try-this';
    const put = await request(
      'PUT',
      '/apis/apps/v1/namespaces/lr/deployments/web',
      current,
    );
    expect(put.status).toBe(422);
    expect(put.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "deploy/try-this": ${LABEL_VALUE_MESSAGE}`,
        field: 'spec.template.metadata.labels',
      },
    ]);
    // kubectl checks label values itself, with apimachinery's own text: the same as the server's.
    const label = await kubectl(
      'label',
      'deployment',
      'web',
      '-n',
      'lr',
      'expiration=2024-01-15T15:30:00Z',
    );
    expect(label.code).not.toBe(0);
    expect(label.stderr).toBe(
      `error: invalid label value: "expiration=2024-01-15T15:30:00Z": ${LABEL_VALUE_MESSAGE}\n`,
    );
    const patched = await kubectl(
      'patch',
      'deployment',
      'web',
      '-n',
      'lr',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"labels":{"expiration":"2024-01-15T15:30:00Z"}}}',
    );
    expect(patched.code).not.toBe(0);
    expect(patched.stderr).toBe(
      `The Deployment "web" is invalid: metadata.labels: Invalid value: "2024-01-15T15:30:00Z": ${LABEL_VALUE_MESSAGE}\n`,
    );
    const annotate = await kubectl(
      'annotate',
      'deployment',
      'web',
      '-n',
      'lr',
      'delivery.backstage.io/expiration=2024-01-15T15:30:00Z',
    );
    expect(annotate.stderr).toBe('');
    expect(annotate.stdout).toBe('deployment.apps/web annotated\n');
  });
});

describe('quantities', () => {
  it('are stored in canonical form; what is not a quantity is a 400', async () => {
    const quota = await request(
      'POST',
      '/api/v1/namespaces/lr/resourcequotas',
      {
        metadata: { name: 'canonical' },
        spec: {
          hard: { 'requests.cpu': '1000m', 'limits.memory': '1024Mi', pods: 4 },
        },
      },
    );
    expect(quota.status).toBe(201);
    expect(quota.body.spec.hard).toEqual({
      'requests.cpu': '1',
      'limits.memory': '1Gi',
      pods: '4',
    });
    const bad = await request('POST', '/api/v1/namespaces/lr/resourcequotas', {
      metadata: { name: 'bad' },
      spec: { hard: { 'requests.cpu': 'lots' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      reason: 'BadRequest',
      message:
        'ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    });
    const unknown = await request(
      'POST',
      '/api/v1/namespaces/lr/resourcequotas',
      {
        metadata: { name: 'unknown' },
        spec: { hard: { cpus: '1', pods: '1.5' } },
      },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toBe(
      'ResourceQuota "unknown" is invalid: [spec.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified, spec.hard[cpus]: Invalid value: "cpus": must be a standard resource for quota, spec.hard[pods]: Invalid value: "1500m": must be an integer]',
    );
  });
});

describe('ResourceQuota status and admission', () => {
  const NS = 'quota-demo';

  beforeAll(async () => {
    await request('POST', '/api/v1/namespaces', namespace(NS));
    await request('POST', `/api/v1/namespaces/${NS}/limitranges`, {
      metadata: { name: 'defaults' },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '256Mi' },
            defaultRequest: { cpu: '250m', memory: '128Mi' },
          },
        ],
      },
    });
    await request('POST', `/api/v1/namespaces/${NS}/resourcequotas`, {
      metadata: { name: 'env' },
      spec: {
        hard: {
          pods: '3',
          'requests.cpu': '1',
          'requests.memory': '2Gi',
          'limits.cpu': '2',
          'limits.memory': '2Gi',
          cpu: '1',
          'count/deployments.apps': '2',
          services: '2',
        },
      },
    });
  });

  const quota = () => server.store.get('resourcequotas', NS, 'env')!;

  it('counts pods and their requests and limits, with the LimitRange defaults', async () => {
    await request(
      'POST',
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      deployment('api', NS, 2),
    );
    await until(() => (quota().status?.used?.pods === '2' ? true : undefined));
    expect(quota().status).toEqual({
      hard: {
        pods: '3',
        'requests.cpu': '1',
        'requests.memory': '2Gi',
        'limits.cpu': '2',
        'limits.memory': '2Gi',
        cpu: '1',
        'count/deployments.apps': '2',
        services: '2',
      },
      used: {
        pods: '2',
        'requests.cpu': '500m',
        'requests.memory': '256Mi',
        'limits.cpu': '1',
        'limits.memory': '512Mi',
        cpu: '500m',
        'count/deployments.apps': '1',
        services: '0',
      },
    });
    const table = await kubectl('get', 'quota', 'env', '-n', NS);
    const row = table.stdout.trim().split('\n')[1];
    expect(row).toContain('limits.cpu: 1/2, limits.memory: 512Mi/2Gi');
    expect(row).toContain('requests.cpu: 500m/1');
  });

  it('recomputes when a LimitRange changes, and tells watchers', async () => {
    const rv = server.store.resourceVersion;
    await request(
      'PATCH',
      `/api/v1/namespaces/${NS}/limitranges/defaults`,
      {
        spec: {
          limits: [
            {
              type: 'Container',
              default: { cpu: '500m', memory: '512Mi' },
              defaultRequest: { cpu: '250m', memory: '384Mi' },
            },
          ],
        },
      },
      'application/merge-patch+json',
    );
    const watch = await fetch(
      `${server.url}/api/v1/namespaces/${NS}/resourcequotas?watch=true&resourceVersion=${rv}&timeoutSeconds=2`,
    );
    const text = await watch.text();
    const events = text
      .trim()
      .split('\n')
      .map(line => JSON.parse(line));
    expect(events.map(e => e.type)).toContain('MODIFIED');
    expect(events[events.length - 1].object.status.used).toMatchObject({
      'requests.memory': '768Mi',
      'limits.memory': '1Gi',
    });
  });

  it('refuses pods over the quota: the rollout stalls with ReplicaFailure, then resumes', async () => {
    await request(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/api`,
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    const stalled = await until(() => {
      const d = server.store.get('deployments', NS, 'api')!;
      return d.status?.conditions?.some((c: any) => c.type === 'ReplicaFailure')
        ? d
        : undefined;
    });
    // requests.cpu is the first limit reached: 3 pods × 250m = 750m used, 1 allowed.
    const failure = stalled.status.conditions.find(
      (c: any) => c.type === 'ReplicaFailure',
    );
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failure.message).toMatch(
      /^pods "api-[a-z0-9]{10}-[a-z0-9]{5}" is forbidden: exceeded quota: env, requested: pods=1, used: pods=3, limited: pods=3$/,
    );
    await new Promise(r => setTimeout(r, 200));
    const still = server.store.get('deployments', NS, 'api')!;
    expect(still.status).toMatchObject({
      replicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 1,
    });
    expect(still.status.conditions.map((c: any) => c.type)).toEqual([
      'Available',
      'Progressing',
      'ReplicaFailure',
    ]);
    expect(quota().status.used.pods).toBe('3');

    // More room: the rollout completes and the failure goes away.
    await request(
      'PATCH',
      `/api/v1/namespaces/${NS}/resourcequotas/env`,
      { spec: { hard: { pods: '10', 'requests.cpu': '2', cpu: '2' } } },
      'application/merge-patch+json',
    );
    const rollout = await kubectl(
      'rollout',
      'status',
      'deployment/api',
      '-n',
      NS,
      '--timeout=20s',
    );
    expect(rollout.stdout).toContain(
      'deployment "api" successfully rolled out',
    );
    const done = server.store.get('deployments', NS, 'api')!;
    expect(done.status.availableReplicas).toBe(4);
    expect(done.status.conditions.map((c: any) => c.type)).toEqual([
      'Available',
      'Progressing',
    ]);
    await until(() => (quota().status.used.pods === '4' ? true : undefined));
    expect(quota().status.used['requests.cpu']).toBe('1');
  });

  it('names the compute resources a container must declare when no LimitRange gives them', async () => {
    await request('POST', '/api/v1/namespaces', namespace('bare'));
    await request('POST', '/api/v1/namespaces/bare/resourcequotas', {
      metadata: { name: 'compute' },
      spec: {
        hard: { 'requests.cpu': '1', 'limits.memory': '1Gi', pods: '5' },
      },
    });
    await request(
      'POST',
      '/apis/apps/v1/namespaces/bare/deployments',
      deployment('worker', 'bare', 1, { requests: { cpu: '100m' } }),
    );
    const d = await until(() => {
      const x = server.store.get('deployments', 'bare', 'worker')!;
      return x.status?.conditions?.find(
        (c: any) => c.type === 'ReplicaFailure',
      );
    });
    expect(d.message).toMatch(
      /^pods "worker-[a-z0-9]{10}-[a-z0-9]{5}" is forbidden: failed quota: compute: must specify limits.memory for: worker$/,
    );
    expect(
      server.store.get('deployments', 'bare', 'worker')!.status.replicas,
    ).toBeUndefined();
  });

  it('gives up after progressDeadlineSeconds: Progressing False, ProgressDeadlineExceeded', async () => {
    await request(
      'POST',
      '/apis/apps/v1/namespaces/bare/deployments',
      deployment(
        'stuck',
        'bare',
        1,
        { requests: { cpu: '100m' } },
        { spec: { progressDeadlineSeconds: 1 } },
      ),
    );
    const progressing = await until(() => {
      const x = server.store.get('deployments', 'bare', 'stuck')!;
      const c = x.status?.conditions?.find(
        (y: any) => y.type === 'Progressing',
      );
      return c?.status === 'False' ? c : undefined;
    }, 5000);
    expect(progressing.reason).toBe('ProgressDeadlineExceeded');
    expect(progressing.message).toMatch(
      /^ReplicaSet "stuck-[a-z0-9]{10}" has timed out progressing\.$/,
    );
    const rollout = await kubectl(
      'rollout',
      'status',
      'deployment/stuck',
      '-n',
      'bare',
      '--timeout=10s',
    );
    expect(rollout.code).not.toBe(0);
    expect(rollout.stderr).toContain(
      'error: deployment "stuck" exceeded its progress deadline',
    );
  });
});

describe('namespace deletion', () => {
  it('is immediate by default: creating in a deleted namespace is a 404', async () => {
    await request('POST', '/api/v1/namespaces', namespace('gone'));
    await request('POST', '/api/v1/namespaces/gone/configmaps', {
      metadata: { name: 'a' },
    });
    const deleted = await request('DELETE', '/api/v1/namespaces/gone');
    expect(deleted.status).toBe(200);
    expect(deleted.body.status.phase).toBe('Terminating');
    const create = await request('POST', '/api/v1/namespaces/gone/configmaps', {
      metadata: { name: 'b' },
    });
    expect(create.status).toBe(404);
    expect(create.body).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "gone" not found',
      details: { name: 'gone', kind: 'namespaces' },
    });
    expect(server.store.list('configmaps', 'gone')).toEqual([]);
  });

  it('with namespaceTerminationMs, keeps it Terminating: creates are a 403, a second delete a 409', async () => {
    const slow = await startKubeServer({
      name: 'slow',
      namespaceTerminationMs: 1500,
      objects: [
        namespace('env-1', { 'delivery.backstage.io/ephemeral': 'true' }),
      ],
    });
    try {
      await requestAt(slow.url, 'POST', '/api/v1/namespaces/env-1/configmaps', {
        metadata: { name: 'flags' },
      });
      const deleted = await kubectlAt(
        slow.url,
        'delete',
        'namespace',
        'env-1',
        '--wait=false',
      );
      expect(deleted.stdout).toBe('namespace "env-1" deleted\n');
      const ns = await requestAt(slow.url, 'GET', '/api/v1/namespaces/env-1');
      expect(ns.body.status.phase).toBe('Terminating');
      expect(ns.body.metadata.deletionTimestamp).toMatch(/Z$/);
      expect(slow.store.list('configmaps', 'env-1')).toEqual([]);

      const create = await requestAt(
        slow.url,
        'POST',
        '/api/v1/namespaces/env-1/configmaps',
        { metadata: { name: 'late' } },
      );
      expect(create.status).toBe(403);
      expect(create.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'configmaps "late" is forbidden: unable to create new content in namespace env-1 because it is being terminated',
        reason: 'Forbidden',
        details: {
          name: 'late',
          kind: 'configmaps',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: 'namespace env-1 is being terminated',
              field: 'metadata.namespace',
            },
          ],
        },
        code: 403,
      });
      const viaKubectl = await kubectlAt(
        slow.url,
        'create',
        'configmap',
        'later',
        '-n',
        'env-1',
      );
      expect(viaKubectl.stderr).toContain(
        'configmaps "later" is forbidden: unable to create new content in namespace env-1 because it is being terminated',
      );
      const again = await requestAt(
        slow.url,
        'DELETE',
        '/api/v1/namespaces/env-1',
      );
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(
        'Operation cannot be fulfilled on namespaces "env-1": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
      );
      const wait = await kubectlAt(
        slow.url,
        'wait',
        '--for=delete',
        'namespace/env-1',
        '--timeout=10s',
      );
      expect(wait.code).toBe(0);
      expect(
        (await requestAt(slow.url, 'GET', '/api/v1/namespaces/env-1')).status,
      ).toBe(404);
    } finally {
      await slow.close();
    }
  });

  it('stays fast at 1,000 namespaces: label-selected lists and one delete each', async () => {
    const big = await startKubeServer({ name: 'big', rolloutStepMs: 50 });
    try {
      const store = big.store;
      const N = 1000;
      for (let i = 0; i < N; i++) {
        const ns = `svc-${i % 10}-branch-${i}`;
        store.create('namespaces', {
          metadata: {
            name: ns,
            labels: {
              'delivery.backstage.io/ephemeral': 'true',
              'delivery.backstage.io/service': `svc-${i % 10}`,
              expiration: `2024-01-${String((i % 28) + 1).padStart(
                2,
                '0',
              )}T15-30-00Z`,
            },
          },
        });
        store.create('resourcequotas', {
          metadata: { name: 'env', namespace: ns },
          spec: { hard: { pods: '4', 'requests.cpu': '2' } },
        });
        store.create('limitranges', {
          metadata: { name: 'defaults', namespace: ns },
          spec: { limits: [{ type: 'Container', default: { cpu: '250m' } }] },
        });
        store.create('networkpolicies', {
          metadata: { name: 'deny-all', namespace: ns },
          spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        });
        store.create('deployments', deployment('app', ns, 1));
        store.create('services', {
          metadata: { name: 'app', namespace: ns },
          spec: { selector: { app: 'app' }, ports: [{ port: 80 }] },
        });
        store.create('configmaps', {
          metadata: { name: 'flags', namespace: ns },
          data: { a: 'true' },
        });
      }
      // Let the 1,000 rollouts and quota syncs settle first.
      let last = '';
      await until(() => {
        const rolledOut = store.list(
          'deployments',
          null,
          d => d.status?.availableReplicas !== 1,
        );
        const rv = store.resourceVersion;
        const settled = rolledOut.length === 0 && rv === last;
        last = rv;
        return settled ? true : undefined;
      }, 30_000);
      let started = Date.now();
      const selected = await requestAt(
        big.url,
        'GET',
        '/api/v1/namespaces?labelSelector=delivery.backstage.io%2Fephemeral%3Dtrue%2Cdelivery.backstage.io%2Fservice%3Dsvc-3',
      );
      const listMs = Date.now() - started;
      expect(selected.body.items).toHaveLength(100);
      expect(listMs).toBeLessThan(500);

      started = Date.now();
      for (const ns of selected.body.items.map((n: any) => n.metadata.name)) {
        const res = await requestAt(
          big.url,
          'DELETE',
          `/api/v1/namespaces/${ns}`,
        );
        expect(res.status).toBe(200);
      }
      const hundredMs = Date.now() - started;
      // Each delete costs what its namespace holds, not what the cluster holds.
      expect(hundredMs).toBeLessThan(3000);
      started = Date.now();
      for (const ns of store.list('namespaces', null, n =>
        n.metadata.name.startsWith('svc-'),
      )) {
        store.delete('namespaces', null, ns.metadata.name);
      }
      const restMs = Date.now() - started;
      expect(restMs).toBeLessThan(5000);
      expect(store.count('namespaces')).toBe(4);
      expect(store.count('deployments')).toBe(0);
      expect(store.count('configmaps')).toBe(0);
    } finally {
      await big.close();
    }
  });
});

describe('app and dashboard pages', () => {
  const NS = 'payments-api-faster-checkout-1a2b3c4d5e';

  beforeAll(async () => {
    await request('POST', '/api/v1/namespaces', {
      metadata: {
        name: NS,
        labels: {
          'delivery.backstage.io/service': 'payments-api',
          'delivery.backstage.io/branch': 'deploy-faster-checkout',
          expiration: '2024-01-15T15-30-00Z',
        },
        annotations: {
          'delivery.backstage.io/expiration': '2024-01-15T15:30:00Z',
          'delivery.backstage.io/branch': 'deploy/faster-checkout',
        },
      },
    });
    await request('POST', `/api/v1/namespaces/${NS}/resourcequotas`, {
      metadata: { name: 'env' },
      spec: { hard: { pods: '4', 'requests.cpu': '2' } },
    });
    await request('POST', `/api/v1/namespaces/${NS}/limitranges`, {
      metadata: { name: 'defaults' },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m' } }] },
    });
    const d = deployment('payments-api', NS, 2, undefined, {
      metadata: {
        annotations: {
          'delivery.backstage.io/commit-sha': '<script>alert(1)</script>',
        },
      },
    });
    d.spec.template.spec.containers[0].image =
      'sandbox.local/acme/payments-api:abc1234';
    await request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, d);
    await until(() =>
      server.store.get('resourcequotas', NS, 'env')?.status?.used?.pods === '2'
        ? true
        : undefined,
    );
  });

  it('shows the app: images, commit and ready/desired, escaped', async () => {
    const res = await fetch(`${server.url}/_sandbox/apps/${NS}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('sandbox.local/acme/payments-api:abc1234');
    expect(html).toContain('2/2');
    expect(html).toContain('deploy/faster-checkout');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script');
  });

  it('shows the dashboard: quota use against hard limits and the expiration', async () => {
    const res = await fetch(`${server.url}/_sandbox/dashboards/${NS}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<code>pods<\/code><\/td><td>2<\/td><td>4<\/td>/);
    expect(html).toMatch(
      /<code>requests.cpu<\/code><\/td><td>1<\/td><td>2<\/td>/,
    );
    expect(html).toContain('2024-01-15T15:30:00Z');
    expect(html).toContain('2024-01-15T15-30-00Z');
    expect(html).toContain('expired');
  });

  it('answers a 404 page for a namespace that does not exist', async () => {
    for (const kind of ['apps', 'dashboards']) {
      const res = await fetch(
        `${server.url}/_sandbox/${kind}/%3Cb%3Enope%3C%2Fb%3E`,
      );
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain('&lt;b&gt;nope&lt;/b&gt;');
      expect(html).not.toContain('<b>nope');
    }
  });
});
