import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeServer, startKubeServer } from './KubeApiServer';

jest.setTimeout(60_000);

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function deployment(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  replicas = 2,
  image = `example/${name}:1.0`,
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name, image, ports: [{ containerPort: 8080 }] }],
        },
      },
    },
  };
}

const SEED = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { team: 'a' } },
  },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'billing', labels: { team: 'b' } },
  },
  deployment('web', 'shop', { app: 'web', tier: 'frontend' }, 2),
  deployment('ledger', 'billing', { app: 'ledger', tier: 'backend' }, 1),
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'shop', labels: { app: 'web' } },
    data: { color: 'blue' },
  },
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'quota', namespace: 'shop' },
    spec: { hard: { pods: '10', 'count/deployments.apps': '5' } },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny-all', namespace: 'shop' },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  },
];

let server: KubeServer;
let dir: string;

function kubectl(...args: string[]): Promise<Run> {
  return kubectlWithTimeout(45_000, ...args);
}

function kubectlWithTimeout(timeout: number, ...args: string[]): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      KUBECTL,
      [
        '--server',
        server.url,
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
        timeout,
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

function writeFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    typeof content === 'string' ? content : JSON.stringify(content, null, 2),
  );
  return path;
}

async function request(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
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
  return { status: res.status, body: parsed };
}

/** Reads newline-delimited watch events from a streaming response. */
class WatchReader {
  private buffer = '';
  private readonly queue: any[] = [];
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  readonly status: number;
  readonly headers: Headers;

  private constructor(res: Response, private readonly abort: AbortController) {
    this.status = res.status;
    this.headers = res.headers;
    this.reader = res.body!.getReader();
  }

  static async open(path: string): Promise<WatchReader> {
    const abort = new AbortController();
    const res = await fetch(`${server.url}${path}`, { signal: abort.signal });
    return new WatchReader(res, abort);
  }

  /** The next event, or undefined when the stream ended. */
  async next(timeoutMs = 5000): Promise<any | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.done) {
      if (Date.now() > deadline)
        throw new Error('timed out waiting for a watch event');
      const { value, done } = await this.reader.read();
      if (done) {
        this.done = true;
        break;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.queue.push(JSON.parse(line));
        nl = this.buffer.indexOf('\n');
      }
    }
    return this.queue.shift();
  }

  close() {
    this.abort.abort();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-sandbox-test-'));
  writeFileSync(join(dir, 'kubeconfig'), '');
  server = await startKubeServer({
    name: 'test',
    port: 0,
    objects: SEED,
    rolloutStepMs: 40,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('startKubeServer', () => {
  it('listens on a random local port and seeds rolled-out deployments', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const web = server.store.get('deployments', 'shop', 'web')!;
    expect(web.metadata.generation).toBe(1);
    expect(web.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '1',
    );
    expect(web.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(
      web.status.conditions.map(
        (c: any) => `${c.type}=${c.status}/${c.reason}`,
      ),
    ).toEqual([
      'Available=True/MinimumReplicasAvailable',
      'Progressing=True/NewReplicaSetAvailable',
    ]);
    expect(server.store.get('namespaces', null, 'default')).toBeDefined();
  });
});

describe('kubectl', () => {
  it('creates objects from a manifest file (with validation on)', async () => {
    const file = writeFile(
      'app.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: {app: api, tier: backend}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example/api:1.0
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, namespace: shop, labels: {app: api}}
data: {LOG_LEVEL: debug}
`,
    );
    const run = await kubectl('create', '-f', file);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      'deployment.apps/api created\nservice/api created\nconfigmap/api-config created\n',
    );
    expect(run.code).toBe(0);
    const api = server.store.get('deployments', 'shop', 'api')!;
    expect(api.spec.replicas).toBe(3);
    expect(api.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.store.get('services', 'shop', 'api')!.spec.clusterIP).toMatch(
      /^10\.96\./,
    );

    const again = await kubectl('create', '-f', file);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(
      `Error from server (AlreadyExists): error when creating "${file}": deployments.apps "api" already exists`,
    );
  });

  it('waits for a rollout with rollout status', async () => {
    const run = await kubectl(
      'rollout',
      'status',
      'deployment/api',
      '-n',
      'shop',
      '--timeout=30s',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('deployment "api" successfully rolled out');
    const api = server.store.get('deployments', 'shop', 'api')!;
    expect(api.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
    });
  });

  it('lists with label selectors', async () => {
    const all = await kubectl('get', 'deployments', '-A', '-o', 'name');
    expect(all.stdout).toBe(
      'deployment.apps/ledger\ndeployment.apps/api\ndeployment.apps/web\n',
    );
    const backend = await kubectl(
      'get',
      'deploy',
      '-A',
      '-l',
      'tier in (backend),app!=ledger',
      '-o',
      'name',
    );
    expect(backend.stdout).toBe('deployment.apps/api\n');
    const exists = await kubectl(
      'get',
      'cm',
      '-n',
      'shop',
      '-l',
      'app',
      '-o',
      'name',
    );
    expect(exists.stdout).toBe('configmap/api-config\nconfigmap/settings\n');
    const notIn = await kubectl(
      'get',
      'deploy',
      '-n',
      'shop',
      '-l',
      'app notin (web)',
      '-o',
      'name',
    );
    expect(notIn.stdout).toBe('deployment.apps/api\n');
    const none = await kubectl(
      'get',
      'deploy',
      '-n',
      'shop',
      '-l',
      'app=nothing',
    );
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No resources found in shop namespace.\n');
  });

  it('prints tables, jsonpath and json', async () => {
    const table = await kubectl('get', 'deploy', '-n', 'shop');
    const lines = table.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
    ]);
    expect(lines[1].split(/\s+/).slice(0, 4)).toEqual(['api', '3/3', '3', '3']);
    expect(lines[2].split(/\s+/).slice(0, 4)).toEqual(['web', '2/2', '2', '2']);

    const ns = await kubectl('get', 'ns', 'shop');
    expect(ns.stdout.split('\n')[1].split(/\s+/).slice(0, 2)).toEqual([
      'shop',
      'Active',
    ]);

    const jsonpath = await kubectl(
      'get',
      'deploy',
      'api',
      '-n',
      'shop',
      '-o',
      'jsonpath={.spec.replicas}/{.spec.template.spec.containers[0].image}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
    );
    expect(jsonpath.stdout).toBe('3/example/api:1.0/1');

    const json = await kubectl(
      'get',
      'deploy',
      'api',
      '-n',
      'shop',
      '-o',
      'json',
    );
    const obj = JSON.parse(json.stdout);
    expect(obj.kind).toBe('Deployment');
    expect(obj.apiVersion).toBe('apps/v1');
    expect(obj.metadata.uid).toBe(
      server.store.get('deployments', 'shop', 'api')!.metadata.uid,
    );

    const list = JSON.parse(
      (await kubectl('get', 'cm', '-n', 'shop', '-o', 'json')).stdout,
    );
    expect(list.kind).toBe('List');
    expect(list.items.map((i: any) => `${i.kind}/${i.metadata.name}`)).toEqual([
      'ConfigMap/api-config',
      'ConfigMap/settings',
    ]);

    const quota = await kubectl(
      'get',
      'quota',
      'quota',
      '-n',
      'shop',
      '-o',
      'jsonpath={.status.used}',
    );
    expect(JSON.parse(quota.stdout)).toEqual({
      pods: '5',
      'count/deployments.apps': '2',
    });
  });

  it('patches with --type merge and --type json', async () => {
    const merge = await kubectl(
      'patch',
      'deployment',
      'api',
      '-n',
      'shop',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":4},"metadata":{"labels":{"patched":"yes"}}}',
    );
    expect(merge.stderr).toBe('');
    expect(merge.stdout).toBe('deployment.apps/api patched\n');
    let api = server.store.get('deployments', 'shop', 'api')!;
    expect(api.spec.replicas).toBe(4);
    expect(api.metadata.labels).toEqual({
      app: 'api',
      tier: 'backend',
      patched: 'yes',
    });
    expect(api.metadata.generation).toBe(2);
    // A scale does not create a new revision.
    expect(api.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '1',
    );

    const json = await kubectl(
      'patch',
      'deployment',
      'api',
      '-n',
      'shop',
      '--type',
      'json',
      '-p',
      JSON.stringify([
        { op: 'remove', path: '/metadata/labels/patched' },
        {
          op: 'add',
          path: '/metadata/annotations/example.com~1owner',
          value: 'team-a',
        },
        { op: 'test', path: '/spec/replicas', value: 4 },
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: 'example/api:2.0',
        },
      ]),
    );
    expect(json.stderr).toBe('');
    expect(json.stdout).toBe('deployment.apps/api patched\n');
    api = server.store.get('deployments', 'shop', 'api')!;
    expect(api.metadata.labels.patched).toBeUndefined();
    expect(api.metadata.annotations['example.com/owner']).toBe('team-a');
    expect(api.spec.template.spec.containers[0].image).toBe('example/api:2.0');
    expect(api.metadata.generation).toBe(3);
    expect(api.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '2',
    );

    const failing = await kubectl(
      'patch',
      'deployment',
      'api',
      '-n',
      'shop',
      '--type',
      'json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":99}]',
    );
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toContain('testing value /spec/replicas failed');

    const rollout = await kubectl(
      'rollout',
      'status',
      'deploy/api',
      '-n',
      'shop',
      '--timeout=30s',
    );
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toContain(
      'deployment "api" successfully rolled out',
    );
    expect(
      server.store.get('deployments', 'shop', 'api')!.status,
    ).toMatchObject({ observedGeneration: 3, replicas: 4, updatedReplicas: 4 });
  });

  it('updates images with a strategic merge patch (kubectl set image) and scales', async () => {
    const set = await kubectl(
      'set',
      'image',
      'deployment/api',
      '-n',
      'shop',
      'api=example/api:3.0',
    );
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe('deployment.apps/api image updated\n');
    const container = server.store.get('deployments', 'shop', 'api')!.spec
      .template.spec.containers[0];
    expect(container.image).toBe('example/api:3.0');
    // Merged by name: the ports survive.
    expect(container.ports).toEqual([
      { containerPort: 8080, name: 'http', protocol: 'TCP' },
    ]);
    const scale = await kubectl(
      'scale',
      'deployment/api',
      '-n',
      'shop',
      '--replicas=2',
    );
    expect(scale.stdout).toBe('deployment.apps/api scaled\n');
    const rollout = await kubectl(
      'rollout',
      'status',
      'deploy/api',
      '-n',
      'shop',
      '--timeout=30s',
    );
    expect(rollout.stdout).toContain('successfully rolled out');
    const api = server.store.get('deployments', 'shop', 'api')!;
    expect(api.spec.replicas).toBe(2);
    expect(api.status).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(api.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '3',
    );
  });

  it('prints the real NotFound errors', async () => {
    const run = await kubectl('get', 'deployment', 'nope', '-n', 'shop');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'Error from server (NotFound): deployments.apps "nope" not found\n',
    );
    const cm = await kubectl('get', 'configmap', 'nope', '-n', 'shop');
    expect(cm.stderr).toBe(
      'Error from server (NotFound): configmaps "nope" not found\n',
    );

    const file = writeFile('orphan.yaml', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'orphan', namespace: 'missing' },
      data: {},
    });
    const create = await kubectl('create', '-f', file);
    expect(create.stderr).toBe(
      `Error from server (NotFound): error when creating "${file}": namespaces "missing" not found\n`,
    );
  });

  it('prints the real Conflict error for a stale kubectl replace', async () => {
    const stale = await kubectl(
      'get',
      'configmap',
      'settings',
      '-n',
      'shop',
      '-o',
      'json',
    );
    const obj = JSON.parse(stale.stdout);
    obj.data.color = 'red';
    const file = writeFile('stale.json', obj);
    const bump = await kubectl(
      'patch',
      'configmap',
      'settings',
      '-n',
      'shop',
      '--type',
      'merge',
      '-p',
      '{"data":{"size":"xl"}}',
    );
    expect(bump.code).toBe(0);
    const run = await kubectl('replace', '-f', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `Error from server (Conflict): error when replacing "${file}": Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again\n`,
    );
    expect(server.store.get('configmaps', 'shop', 'settings')!.data).toEqual({
      color: 'blue',
      size: 'xl',
    });

    const dep = JSON.parse(
      (await kubectl('get', 'deploy', 'web', '-n', 'shop', '-o', 'json'))
        .stdout,
    );
    const depFile = writeFile('stale-deploy.json', dep);
    await kubectl('annotate', 'deploy', 'web', '-n', 'shop', 'touched=yes');
    const depRun = await kubectl('replace', '-f', depFile);
    expect(depRun.stderr).toBe(
      `Error from server (Conflict): error when replacing "${depFile}": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again\n`,
    );

    // With a current resourceVersion the replace goes through.
    const fresh = JSON.parse(
      (await kubectl('get', 'cm', 'settings', '-n', 'shop', '-o', 'json'))
        .stdout,
    );
    fresh.data.color = 'green';
    const ok = await kubectl('replace', '-f', writeFile('fresh.json', fresh));
    expect(ok.stdout).toBe('configmap/settings replaced\n');
    expect(server.store.get('configmaps', 'shop', 'settings')!.data.color).toBe(
      'green',
    );
  });

  it('prints the real Invalid errors for bad names', async () => {
    const file = writeFile(
      'bad.yaml',
      deployment('Bad_Name', 'shop', { app: 'x' }),
    );
    const run = await kubectl('create', '-f', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `The Deployment "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}\n`,
    );
    const nsFile = writeFile('bad-ns.yaml', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team.a' },
    });
    const ns = await kubectl('create', '-f', nsFile);
    expect(ns.stderr).toBe(
      `The Namespace "team.a" is invalid: metadata.name: Invalid value: "team.a": ${LABEL_MESSAGE}\n`,
    );
    expect(server.store.get('namespaces', null, 'team.a')).toBeUndefined();
  });

  it('applies manifests (client-side and server-side)', async () => {
    const manifest = deployment('worker', 'billing', { app: 'worker' }, 1);
    const file = writeFile('worker.json', manifest);
    expect((await kubectl('apply', '-f', file)).stdout).toBe(
      'deployment.apps/worker created\n',
    );
    manifest.spec.replicas = 2;
    writeFile('worker.json', manifest);
    const second = await kubectl('apply', '-f', file);
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('deployment.apps/worker configured\n');
    expect(
      server.store.get('deployments', 'billing', 'worker')!.spec.replicas,
    ).toBe(2);
    const ssa = await kubectl('apply', '--server-side', '-f', file);
    expect(ssa.stdout).toBe('deployment.apps/worker serverside-applied\n');
  });

  it('deletes objects and waits for them to disappear', async () => {
    const run = await kubectl('delete', 'deployment', 'api', '-n', 'shop');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('deployment.apps "api" deleted\n');
    expect(run.code).toBe(0);
    expect(server.store.get('deployments', 'shop', 'api')).toBeUndefined();
    const svc = await kubectl(
      'delete',
      'service/api',
      'configmap/api-config',
      '-n',
      'shop',
    );
    expect(svc.stdout).toBe(
      'service "api" deleted\nconfigmap "api-config" deleted\n',
    );
    const missing = await kubectl('delete', 'deployment', 'api', '-n', 'shop');
    expect(missing.stderr).toBe(
      'Error from server (NotFound): deployments.apps "api" not found\n',
    );
  });

  it('creates objects imperatively (kubectl sends protobuf bodies)', async () => {
    expect((await kubectl('create', 'namespace', 'imperative')).stdout).toBe(
      'namespace/imperative created\n',
    );
    expect(
      (
        await kubectl(
          'create',
          'configmap',
          'flags',
          '-n',
          'imperative',
          '--from-literal=a=1',
          '--from-literal=b=two',
        )
      ).stdout,
    ).toBe('configmap/flags created\n');
    expect(
      (
        await kubectl(
          'create',
          'deployment',
          'echo',
          '-n',
          'imperative',
          '--image=example/echo:1.0',
          '--replicas=2',
          '--port=8080',
        )
      ).stdout,
    ).toBe('deployment.apps/echo created\n');
    expect(
      (
        await kubectl(
          'create',
          'service',
          'clusterip',
          'echo',
          '-n',
          'imperative',
          '--tcp=80:8080',
        )
      ).stdout,
    ).toBe('service/echo created\n');
    expect(
      (
        await kubectl(
          'create',
          'quota',
          'small',
          '-n',
          'imperative',
          '--hard=pods=4,services=3',
        )
      ).stdout,
    ).toBe('resourcequota/small created\n');

    expect(
      server.store.get('namespaces', null, 'imperative')!.metadata.labels,
    ).toEqual({
      'kubernetes.io/metadata.name': 'imperative',
    });
    expect(server.store.get('configmaps', 'imperative', 'flags')!.data).toEqual(
      { a: '1', b: 'two' },
    );
    const echo = server.store.get('deployments', 'imperative', 'echo')!;
    expect(echo.spec.replicas).toBe(2);
    expect(echo.spec.selector).toEqual({ matchLabels: { app: 'echo' } });
    expect(echo.spec.template.spec.containers).toEqual([
      expect.objectContaining({
        name: 'echo',
        image: 'example/echo:1.0',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
      }),
    ]);
    expect(
      server.store.get('services', 'imperative', 'echo')!.spec.ports,
    ).toEqual([
      { name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 },
    ]);
    expect(
      server.store.get('resourcequotas', 'imperative', 'small')!.spec.hard,
    ).toEqual({
      pods: '4',
      services: '3',
    });
    const rollout = await kubectl(
      'rollout',
      'status',
      'deploy/echo',
      '-n',
      'imperative',
      '--timeout=30s',
    );
    expect(rollout.stdout).toContain(
      'deployment "echo" successfully rolled out',
    );
  });

  it('follows changes with get -w', async () => {
    const watching = kubectlWithTimeout(
      3000,
      'get',
      'deploy',
      'echo',
      '-n',
      'imperative',
      '-w',
    );
    await new Promise(r => setTimeout(r, 1000));
    const scaled = await request(
      'PATCH',
      '/apis/apps/v1/namespaces/imperative/deployments/echo',
      { spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    expect(scaled.status).toBe(200);
    const run = await watching;
    const rows = run.stdout.trim().split('\n');
    expect(rows[0].split(/\s+/)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
    ]);
    expect(rows[1].split(/\s+/).slice(0, 4)).toEqual(['echo', '2/2', '2', '2']);
    // The rollout's steps arrive as further rows, ending with 3 of 3.
    expect(rows.length).toBeGreaterThan(3);
    expect(rows[rows.length - 1].split(/\s+/).slice(0, 4)).toEqual([
      'echo',
      '3/3',
      '3',
      '3',
    ]);
  });

  it('serves networking.k8s.io/v1 Ingresses: create, get with a selector, annotate, delete', async () => {
    const file = writeFile('ingress.yaml', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'web-canary',
        namespace: 'shop',
        labels: { 'backstage.io/kubernetes-id': 'web' },
        annotations: {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '100',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'web.example',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const created = await kubectl('create', '-f', file);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe(
      'ingress.networking.k8s.io/web-canary created\n',
    );
    const table = await kubectl(
      'get',
      'ingress',
      '-n',
      'shop',
      '-l',
      'backstage.io/kubernetes-id=web',
    );
    expect(table.stderr).toBe('');
    const lines = table.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual([
      'NAME',
      'CLASS',
      'HOSTS',
      'ADDRESS',
      'PORTS',
      'AGE',
    ]);
    expect(lines[1].split(/\s+/).slice(0, 3)).toEqual([
      'web-canary',
      'nginx',
      'web.example',
    ]);
    const none = await kubectl('get', 'ing', '-n', 'shop', '-l', 'app=none');
    expect(none.stderr).toBe('No resources found in shop namespace.\n');

    const annotate = await kubectl(
      'annotate',
      'ingress',
      'web-canary',
      '-n',
      'shop',
      '--overwrite',
      'nginx.ingress.kubernetes.io/canary-weight=0',
    );
    expect(annotate.stderr).toBe('');
    expect(
      server.store.get('ingresses', 'shop', 'web-canary')!.metadata.annotations[
        'nginx.ingress.kubernetes.io/canary-weight'
      ],
    ).toBe('0');
    const weight = await kubectl(
      'get',
      'ingress',
      'web-canary',
      '-n',
      'shop',
      '-o',
      'jsonpath={.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/canary-weight}',
    );
    expect(weight.stdout).toBe('0');

    const deleted = await kubectl(
      'delete',
      'ingress',
      'web-canary',
      '-n',
      'shop',
    );
    expect(deleted.stdout).toBe(
      'ingress.networking.k8s.io "web-canary" deleted\n',
    );
    expect(server.store.get('ingresses', 'shop', 'web-canary')).toBeUndefined();
  });

  it('deletes a namespace with everything in it', async () => {
    expect(server.store.list('deployments', 'billing')).toHaveLength(2);
    const run = await kubectl('delete', 'namespace', 'billing', 'imperative');
    expect(run.stdout).toBe(
      'namespace "billing" deleted\nnamespace "imperative" deleted\n',
    );
    expect(run.code).toBe(0);
    expect(server.store.list('deployments', 'billing')).toEqual([]);
    expect(server.store.list('configmaps', 'imperative')).toEqual([]);
    const ns = await kubectl('get', 'ns', '-o', 'name');
    expect(ns.stdout).toBe(
      'namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\nnamespace/shop\n',
    );
  });
});

describe('HTTP API', () => {
  it('serves discovery', async () => {
    const version = await request('GET', '/version');
    expect(version.body).toMatchObject({ major: '1', minor: '32' });
    const core = await request('GET', '/api/v1');
    const names = core.body.resources.map((r: any) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'namespaces',
        'configmaps',
        'services',
        'resourcequotas',
      ]),
    );
    const cm = core.body.resources.find((r: any) => r.name === 'configmaps');
    expect(cm).toMatchObject({
      kind: 'ConfigMap',
      namespaced: true,
      shortNames: ['cm'],
    });
    expect(cm.verbs).toEqual(
      expect.arrayContaining(['get', 'list', 'watch', 'create', 'patch']),
    );
    const groups = await request('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toEqual([
      'apps',
      'networking.k8s.io',
    ]);
    const apps = await request('GET', '/apis/apps/v1');
    expect(apps.body.resources[0]).toMatchObject({
      name: 'deployments',
      kind: 'Deployment',
      shortNames: ['deploy'],
    });
    const netpol = await request('GET', '/apis/networking.k8s.io/v1');
    expect(netpol.body.resources[0]).toMatchObject({
      name: 'networkpolicies',
      shortNames: ['netpol'],
    });
    expect(
      netpol.body.resources.find((r: any) => r.name === 'ingresses'),
    ).toMatchObject({
      name: 'ingresses',
      singularName: 'ingress',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      verbs: expect.arrayContaining([
        'create',
        'delete',
        'get',
        'list',
        'patch',
        'update',
        'watch',
      ]),
    });
    expect(
      netpol.body.resources.find((r: any) => r.name === 'ingresses/status'),
    ).toMatchObject({ kind: 'Ingress' });
  });

  it('lists across namespaces and per namespace', async () => {
    const all = await request('GET', '/apis/apps/v1/deployments');
    expect(all.body.kind).toBe('DeploymentList');
    expect(all.body.apiVersion).toBe('apps/v1');
    expect(all.body.metadata.resourceVersion).toBe(
      server.store.resourceVersion,
    );
    expect(
      all.body.items.map(
        (d: any) => `${d.metadata.namespace}/${d.metadata.name}`,
      ),
    ).toEqual(['shop/web']);
    const policies = await request(
      'GET',
      '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies',
    );
    expect(policies.body.items.map((p: any) => p.metadata.name)).toEqual([
      'deny-all',
    ]);
    const byName = await request(
      'GET',
      '/api/v1/configmaps?fieldSelector=metadata.name%3Dsettings',
    );
    expect(byName.body.items.map((c: any) => c.metadata.namespace)).toEqual([
      'shop',
    ]);
    const byNamespace = await request(
      'GET',
      '/api/v1/services?fieldSelector=metadata.namespace!%3Dshop',
    );
    expect(byNamespace.body.items).toEqual([]);
  });

  it('answers errors with Status objects like the real server', async () => {
    const notFound = await request(
      'GET',
      '/api/v1/namespaces/shop/configmaps/missing',
    );
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', kind: 'configmaps' },
      code: 404,
    });
    const unknown = await request('GET', '/apis/batch/v1/jobs');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
    });

    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dup' },
      data: { a: '1' },
    };
    expect(
      (await request('POST', '/api/v1/namespaces/shop/configmaps', body))
        .status,
    ).toBe(201);
    const exists = await request(
      'POST',
      '/api/v1/namespaces/shop/configmaps',
      body,
    );
    expect(exists.status).toBe(409);
    expect(exists.body).toMatchObject({
      status: 'Failure',
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
      details: { name: 'dup', kind: 'configmaps' },
      code: 409,
    });

    const current = (
      await request('GET', '/api/v1/namespaces/shop/configmaps/dup')
    ).body;
    const stale = { ...current, data: { a: '2' } };
    expect(
      (await request('PUT', '/api/v1/namespaces/shop/configmaps/dup', stale))
        .status,
    ).toBe(200);
    const conflict = await request(
      'PUT',
      '/api/v1/namespaces/shop/configmaps/dup',
      {
        ...stale,
        data: { a: '3' },
      },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again',
      code: 409,
    });
    const stalePatch = await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/dup',
      {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        data: { b: '1' },
      },
      'application/merge-patch+json',
    );
    expect(stalePatch.status).toBe(409);
    expect(stalePatch.body.reason).toBe('Conflict');

    const invalid = await request(
      'POST',
      '/apis/apps/v1/namespaces/shop/deployments',
      {
        ...deployment('Bad_Name', 'shop', { app: 'x' }),
      },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}`,
      reason: 'Invalid',
      details: {
        name: 'Bad_Name',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}`,
            field: 'metadata.name',
          },
        ],
      },
      code: 422,
    });
    const longNs = await request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x'.repeat(64) },
    });
    expect(longNs.status).toBe(422);
    // The name is too long, and so is the kubernetes.io/metadata.name label the server's
    // defaulting gives every namespace (labels are validated like the name).
    expect(longNs.body.message).toBe(
      `Namespace "${'x'.repeat(
        64,
      )}" is invalid: [metadata.name: Invalid value: "${'x'.repeat(
        64,
      )}": must be no more than 63 characters, metadata.labels: Invalid value: "${'x'.repeat(
        64,
      )}": must be no more than 63 characters]`,
    );

    const malformed = await request(
      'POST',
      '/api/v1/namespaces/shop/configmaps',
      '{"metadata": ',
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
    });

    const badPatch = await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/dup',
      'not json',
      'application/merge-patch+json',
    );
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.reason).toBe('BadRequest');

    const notAllowed = await request(
      'POST',
      '/api/v1/namespaces/shop/configmaps/dup',
      body,
    );
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.body).toMatchObject({
      reason: 'MethodNotAllowed',
      code: 405,
    });

    const badSelector = await request(
      'GET',
      '/api/v1/configmaps?labelSelector=app%20in%20(a',
    );
    expect(badSelector.status).toBe(400);
    expect(badSelector.body.reason).toBe('BadRequest');
  });

  it('filters with every label selector operator', async () => {
    const labelled: Array<[string, Record<string, string>]> = [
      ['sel-a', { env: 'prod', tier: 'web', canary: 'true' }],
      ['sel-b', { env: 'staging', tier: 'web' }],
      ['sel-c', { env: 'dev', tier: 'db' }],
      ['sel-d', { tier: 'db' }],
    ];
    for (const [name, labels] of labelled) {
      const res = await request('POST', '/api/v1/namespaces/shop/configmaps', {
        metadata: { name, labels: { ...labels, suite: 'selectors' } },
      });
      expect(res.status).toBe(201);
    }
    const names = async (selector: string) =>
      (
        await request(
          'GET',
          `/api/v1/namespaces/shop/configmaps?labelSelector=${encodeURIComponent(
            `suite=selectors,${selector}`,
          )}`,
        )
      ).body.items.map((i: any) => i.metadata.name);
    expect(await names('env=prod')).toEqual(['sel-a']);
    expect(await names('env==staging')).toEqual(['sel-b']);
    expect(await names('env!=prod')).toEqual(['sel-b', 'sel-c', 'sel-d']);
    expect(await names('env in (prod, dev)')).toEqual(['sel-a', 'sel-c']);
    expect(await names('env notin (prod,dev)')).toEqual(['sel-b', 'sel-d']);
    expect(await names('env')).toEqual(['sel-a', 'sel-b', 'sel-c']);
    expect(await names('!env')).toEqual(['sel-d']);
    expect(await names('tier=web,!canary')).toEqual(['sel-b']);
    expect(await names('tier in (db),env')).toEqual(['sel-c']);
  });

  it('applies JSON patch operations', async () => {
    await request('POST', '/api/v1/namespaces/shop/configmaps', {
      metadata: {
        name: 'jp',
        labels: { a: '1' },
        annotations: { 'x.y': 'dot' },
      },
      data: { one: '1', two: '2' },
    });
    const patch = (ops: unknown) =>
      request(
        'PATCH',
        '/api/v1/namespaces/shop/configmaps/jp',
        ops,
        'application/json-patch+json',
      );
    const res = await patch([
      { op: 'test', path: '/data/one', value: '1' },
      { op: 'add', path: '/data/three', value: '3' },
      { op: 'replace', path: '/data/two', value: 'II' },
      { op: 'remove', path: '/data/one' },
      { op: 'copy', from: '/data/three', path: '/data/copied' },
      { op: 'move', from: '/data/copied', path: '/data/moved' },
      { op: 'add', path: '/metadata/labels/example.com~1team', value: 'x' },
      { op: 'replace', path: '/metadata/annotations/x.y', value: 'replaced' },
      { op: 'add', path: '/metadata/finalizers', value: ['a'] },
      { op: 'add', path: '/metadata/finalizers/-', value: 'c' },
      { op: 'add', path: '/metadata/finalizers/1', value: 'b' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ two: 'II', three: '3', moved: '3' });
    expect(res.body.metadata.labels).toEqual({
      a: '1',
      'example.com/team': 'x',
    });
    expect(res.body.metadata.annotations).toEqual({ 'x.y': 'replaced' });
    expect(res.body.metadata.finalizers).toEqual(['a', 'b', 'c']);

    // `~0` unescapes to `~`, which no annotation key may hold: the patched object is invalid.
    const tilde = await patch([
      { op: 'add', path: '/metadata/annotations/x~0y', value: 'tilde' },
    ]);
    expect(tilde.status).toBe(422);
    expect(tilde.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "x~y": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        field: 'metadata.annotations',
      },
    ]);

    const failed = await patch([
      { op: 'replace', path: '/data/two', value: 'changed' },
      { op: 'test', path: '/data/three', value: 'nope' },
    ]);
    expect(failed.status).toBe(422);
    expect(failed.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
    });
    expect(failed.body.details.causes[0].message).toBe(
      'testing value /data/three failed: test failed',
    );
    // All-or-nothing: the replace before the failed test was not stored.
    expect(server.store.get('configmaps', 'shop', 'jp')!.data.two).toBe('II');

    const missing = await patch([{ op: 'remove', path: '/data/nothing' }]);
    expect(missing.status).toBe(422);

    const merge = await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/jp',
      { data: { three: null, four: '4' } },
      'application/merge-patch+json',
    );
    expect(merge.body.data).toEqual({ two: 'II', moved: '3', four: '4' });
  });

  it('streams watch events', async () => {
    await request('POST', '/api/v1/namespaces/shop/configmaps', {
      metadata: { name: 'w1', labels: { suite: 'watch' } },
    });
    const startRv = server.store.resourceVersion;
    // Without resourceVersion: ADDED for what exists, then live events.
    const initial = await WatchReader.open(
      '/api/v1/namespaces/shop/configmaps?watch=true&labelSelector=suite%3Dwatch',
    );
    expect(initial.status).toBe(200);
    expect(initial.headers.get('content-type')).toBe('application/json');
    const first = await initial.next();
    expect(first.type).toBe('ADDED');
    expect(first.object).toMatchObject({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'w1' },
    });

    const fromRv = await WatchReader.open(
      `/api/v1/namespaces/shop/configmaps?watch=1&resourceVersion=${startRv}&labelSelector=suite%3Dwatch`,
    );
    await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/w1',
      { data: { k: 'v' } },
      'application/merge-patch+json',
    );
    await request('POST', '/api/v1/namespaces/shop/configmaps', {
      metadata: { name: 'unrelated', labels: { suite: 'other' } },
    });
    // Dropping the label takes the object out of the selection: DELETED.
    await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/w1',
      { metadata: { labels: { suite: null } } },
      'application/merge-patch+json',
    );
    await request(
      'PATCH',
      '/api/v1/namespaces/shop/configmaps/w1',
      { metadata: { labels: { suite: 'watch' } } },
      'application/merge-patch+json',
    );
    await request('DELETE', '/api/v1/namespaces/shop/configmaps/w1');

    const events = [];
    for (let i = 0; i < 4; i++) events.push(await fromRv.next());
    expect(events.map(e => e.type)).toEqual([
      'MODIFIED',
      'DELETED',
      'ADDED',
      'DELETED',
    ]);
    expect(events[0].object.data).toEqual({ k: 'v' });
    const rvs = events.map(e => Number(e.object.metadata.resourceVersion));
    expect(rvs[0]).toBeGreaterThan(Number(startRv));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(new Set(rvs).size).toBe(4);

    // The first watch saw the same live events.
    expect((await initial.next()).type).toBe('MODIFIED');
    initial.close();
    fromRv.close();

    // A watch by name (how kubectl delete --wait / get -w follow one object).
    const byName = await WatchReader.open(
      '/apis/apps/v1/namespaces/shop/deployments?watch=true&fieldSelector=metadata.name%3Dweb',
    );
    expect((await byName.next()).object.metadata.name).toBe('web');
    byName.close();

    // timeoutSeconds ends the stream.
    const timed = await WatchReader.open(
      `/api/v1/namespaces?watch=true&timeoutSeconds=1&resourceVersion=${server.store.resourceVersion}`,
    );
    const started = Date.now();
    expect(await timed.next(5000)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('reports simulated rollouts as MODIFIED events', async () => {
    const rv = server.store.resourceVersion;
    const watch = await WatchReader.open(
      `/apis/apps/v1/namespaces/shop/deployments?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dweb`,
    );
    const res = await request(
      'PATCH',
      '/apis/apps/v1/namespaces/shop/deployments/web',
      {
        spec: {
          template: { metadata: { annotations: { restartedAt: 'now' } } },
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(res.status).toBe(200);
    expect(res.body.metadata.generation).toBe(2);
    expect(
      res.body.metadata.annotations['deployment.kubernetes.io/revision'],
    ).toBe('2');
    const statuses = [];
    for (;;) {
      const event = await watch.next(5000);
      expect(event.type).toBe('MODIFIED');
      statuses.push(event.object.status);
      const progressing = event.object.status.conditions?.find(
        (c: any) => c.type === 'Progressing',
      );
      if (
        progressing?.reason === 'NewReplicaSetAvailable' &&
        event.object.status.observedGeneration === 2
      )
        break;
    }
    watch.close();
    // First the template change itself, then observedGeneration, then one replica per step.
    expect(statuses[0].observedGeneration).toBe(1);
    expect(statuses[1]).toMatchObject({ observedGeneration: 2, replicas: 2 });
    expect(statuses[1].updatedReplicas).toBeUndefined();
    expect(statuses.map(s => s.updatedReplicas ?? 0)).toEqual([2, 0, 1, 2]);
    expect(statuses[statuses.length - 1]).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    const reasons = statuses.map(
      s => s.conditions.find((c: any) => c.type === 'Progressing').reason,
    );
    expect(reasons.slice(1, -1).every(r => r === 'ReplicaSetUpdated')).toBe(
      true,
    );
  });

  it('ends open watches on close()', async () => {
    const other = await startKubeServer({ name: 'closing' });
    const res = await fetch(`${other.url}/api/v1/namespaces?watch=true`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"ADDED"');
    await other.close();
    let ended = false;
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
      }
      ended = true;
    } catch {
      ended = true;
    }
    expect(ended).toBe(true);
  });
});

describe('holdResponses', () => {
  it('applies a matching change at once but answers only on release, once', async () => {
    const path = '/api/v1/namespaces/shop/configmaps';
    const held = server.holdResponses(
      r => r.method === 'POST' && r.path === path,
    );
    let answered = false;
    const pending = request('POST', path, {
      metadata: { name: 'held' },
      data: { a: '1' },
    }).then(res => {
      answered = true;
      return res;
    });
    await held.arrived;
    expect(server.store.get('configmaps', 'shop', 'held')?.data).toEqual({
      a: '1',
    });
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    // Other requests are not held meanwhile, nor is the next matching one.
    expect((await request('GET', `${path}/held`)).status).toBe(200);
    held.release();
    expect((await pending).status).toBe(201);
    const again = await request('POST', path, {
      metadata: { name: 'held-2' },
    });
    expect(again.status).toBe(201);
  });
});

describe('failRequests', () => {
  it('answers matching requests with a 500 Status and no change until stopped', async () => {
    const path = '/api/v1/namespaces/shop/configmaps';
    const failing = server.failRequests(
      r => r.method === 'POST' && r.path === path,
    );
    const refused = await request('POST', path, {
      metadata: { name: 'refused' },
    });
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ kind: 'Status', code: 500 });
    expect(server.store.get('configmaps', 'shop', 'refused')).toBeUndefined();
    expect((await request('GET', path)).status).toBe(200);
    expect(failing.count()).toBe(1);
    failing.stop();
    expect(
      (await request('POST', path, { metadata: { name: 'refused' } })).status,
    ).toBe(201);
  });
});
