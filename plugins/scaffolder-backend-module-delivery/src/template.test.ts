/*
 * The "Flag-ready service" template (examples/templates/flag-ready-service): its parameters and
 * steps as the scaffolder reads them, its step inputs against the real actions' schemas, and its
 * skeleton rendered by the real fetch:template action, then type-checked, tested and run.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import yaml from 'yaml';
import { createTemplateRenderer } from 'nunjitsu';
import { mockServices } from '@backstage/backend-test-utils';
import {
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  componentEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import {
  createCatalogRegisterAction,
  createFetchTemplateAction,
} from '@backstage/plugin-scaffolder-backend';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import {
  TemplateAction,
  parseRepoUrl,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  ANNOTATION_FLAG_ENDPOINTS,
  ANNOTATION_GITHUB_PROJECT_SLUG,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_NAMESPACE,
  ANNOTATION_REGULATED,
  ANNOTATION_REQUIRED_CHECKS,
  isRegulated,
  missingAnnotations,
  parseFlagEndpoints,
  requiredChecksFrom,
  workloadManifestProblems,
} from '@internal/plugin-delivery-common';
import {
  FlagSyncSelector,
  startFlagSyncServer,
} from '@internal/plugin-delivery-node';
import { createDeliveryFlagAction } from './actions/createFlag';
import { createValidateOwnerAction } from './actions/validateOwner';
import {
  createDeliveryEnvironmentsAction,
  readManifests,
} from './actions/registerEnvironments';

const run = promisify(execFile);

const PACKAGE_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_DIR, '../..');
const TEMPLATE_DIR = path.join(
  REPO_ROOT,
  'examples/templates/flag-ready-service',
);
const TEMPLATE_FILE = path.join(TEMPLATE_DIR, 'template.yaml');
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const ESLINT = path.join(REPO_ROOT, 'node_modules/eslint/bin/eslint.js');

/** The demo's GitHub integration (app-config.yaml): the sandbox on localhost:7010. */
const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: {
      github: [
        {
          host: 'localhost:7010',
          apiBaseUrl: 'http://localhost:7010',
          token: 'sandbox-token',
        },
      ],
    },
  }),
);

type Step = { id: string; name: string; action: string; input: any };
type Page = {
  title: string;
  required?: string[];
  properties: Record<string, any>;
};

async function readTemplate(): Promise<Entity & { spec: any }> {
  return yaml.parse(await fs.readFile(TEMPLATE_FILE, 'utf8'));
}

/** Renders template strings of `input` as the scaffolder's workflow runner does. */
function renderInput(input: unknown, context: Record<string, unknown>): any {
  const renderer = createTemplateRenderer({ allowRegexExecution: true });
  const prepared = renderer.prepareContext(context as any);
  return JSON.parse(JSON.stringify(input), (_key, value) =>
    typeof value === 'string'
      ? renderer.renderValue(value, prepared, { coercion: 'json' })
      : value,
  );
}

const ajv = new Ajv({ strict: false, allErrors: true });

/** The parameters of every page, as one JSON schema (what the form validates page by page). */
function parametersSchema(pages: Page[]) {
  return {
    type: 'object',
    allOf: pages.map(page => ({
      type: 'object',
      properties: page.properties,
      required: page.required ?? [],
    })),
  };
}

const PARAMETERS = {
  name: 'checkout-v2',
  owner: 'group:default/team-payments',
  description: 'Checks out carts: fast, "safe" # and with a colon',
  flagKey: 'one-page-checkout',
  regulated: false,
};

/** Outputs the steps before the last give, as the real actions name them. */
const STEP_OUTPUTS = {
  'validate-owner': {
    output: { entity: { kind: 'Group', metadata: { name: 'team-payments' } } },
  },
  fetch: { output: {} },
  publish: {
    output: {
      remoteUrl: 'http://localhost:7010/acme/checkout-v2.git',
      repoContentsUrl: 'http://localhost:7010/acme/checkout-v2/blob/main',
      commitHash: 'a'.repeat(40),
    },
  },
  register: {
    output: {
      entityRef: 'component:default/checkout-v2',
      catalogInfoUrl:
        'http://localhost:7010/acme/checkout-v2/blob/main/catalog-info.yaml',
    },
  },
  flag: {
    output: {
      key: 'one-page-checkout',
      created: true,
      environments: ['uat', 'canary', 'production'],
    },
  },
  environments: {
    output: {
      environments: ['uat', 'canary', 'production'].map(environment => ({
        environment,
        cluster: environment,
        namespace: 'checkout-v2',
        namespaceResult: 'created',
        objects: [
          { kind: 'Service', name: 'checkout-v2', result: 'created' },
          { kind: 'Deployment', name: 'checkout-v2', result: 'created' },
        ],
      })),
    },
  },
};

describe('the Flag-ready service template', () => {
  it('is a valid v1beta3 Template owned by the platform team', async () => {
    const template = await readTemplate();
    await expect(templateEntityV1beta3Validator.check(template)).resolves.toBe(
      true,
    );
    expect(template.metadata).toMatchObject({
      name: 'flag-ready-service',
      title: 'Flag-ready service',
      description: expect.any(String),
      tags: expect.arrayContaining(['feature-flags']),
    });
    expect(template.spec).toMatchObject({
      owner: 'group:default/platform',
      type: 'service',
    });
  });

  it('runs its steps in order: owner check, skeleton, GitHub, catalog, flag, environments', async () => {
    const steps: Step[] = (await readTemplate()).spec.steps;
    expect(steps.map(step => [step.id, step.action])).toEqual([
      ['validate-owner', 'delivery:owner:validate'],
      ['fetch', 'fetch:template'],
      ['publish', 'publish:github'],
      ['register', 'catalog:register'],
      ['flag', 'delivery:flags:create'],
      ['environments', 'delivery:environments:register'],
    ]);
  });

  it('asks for every parameter, with its pattern', async () => {
    const pages: Page[] = (await readTemplate()).spec.parameters;
    const properties = Object.assign({}, ...pages.map(page => page.properties));
    const required = pages.flatMap(page => page.required ?? []);
    expect(Object.keys(properties).sort()).toEqual(
      ['description', 'flagKey', 'name', 'owner', 'regulated'].sort(),
    );
    expect(required.sort()).toEqual(
      ['description', 'flagKey', 'name', 'owner'].sort(),
    );
    expect(properties.name).toMatchObject({
      type: 'string',
      pattern: '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$',
      maxLength: 40,
      'ui:help': expect.stringMatching(/lower-case letters, digits and '-'/i),
    });
    expect(properties.owner).toMatchObject({
      type: 'string',
      'ui:field': 'OwnerPicker',
      'ui:options': { catalogFilter: { kind: 'Group' } },
      description:
        'The team that owns and deploys the service (you must be one of its members to create its flags and environments)',
    });
    expect(properties.description).toMatchObject({ type: 'string' });
    expect(properties.flagKey).toMatchObject({
      type: 'string',
      pattern: '^[a-z][a-z0-9-]{0,62}$',
      default: 'new-feature',
    });
    expect(properties.regulated).toEqual(
      expect.objectContaining({
        type: 'boolean',
        default: false,
        title: 'Regulated (changes need approval)',
      }),
    );
  });

  it('accepts DNS-safe names and flag keys only', async () => {
    const validate = ajv.compile(
      parametersSchema((await readTemplate()).spec.parameters),
    );
    const valid = (change: Record<string, unknown>) =>
      validate({ ...PARAMETERS, ...change });

    expect(valid({ name: 'checkout-v2' })).toBe(true);
    expect(valid({ name: 'a' })).toBe(true);
    expect(valid({ name: `a${'b'.repeat(39)}` })).toBe(true);
    expect(valid({ name: 'My_Service' })).toBe(false);
    expect(validate.errors).toEqual([
      expect.objectContaining({ instancePath: '/name', keyword: 'pattern' }),
    ]);
    for (const name of [
      '2fa',
      'checkout-',
      'check.out',
      `a${'b'.repeat(40)}`,
    ]) {
      expect(valid({ name })).toBe(false);
    }
    expect(valid({ flagKey: 'new-feature' })).toBe(true);
    expect(valid({ flagKey: 'New_Feature' })).toBe(false);
    expect(valid({ flagKey: undefined })).toBe(false);
    expect(valid({ owner: undefined })).toBe(false);
  });

  it("gives every step input its action's schema accepts", async () => {
    const template = await readTemplate();
    const config = new ConfigReader({});
    const deliveryOptions = {
      discovery: mockServices.discovery(),
      auth: mockServices.auth(),
    };
    const actions: Record<string, TemplateAction<any, any, any>> = {
      'delivery:owner:validate': createValidateOwnerAction({
        catalog: {} as any,
        userInfo: mockServices.userInfo(),
      }),
      'fetch:template': createFetchTemplateAction({
        reader: mockServices.urlReader.mock(),
        integrations,
      }),
      'publish:github': createPublishGithubAction({ integrations, config }),
      'catalog:register': createCatalogRegisterAction({
        catalog: {} as any,
        integrations,
      }),
      'delivery:flags:create': createDeliveryFlagAction(deliveryOptions),
      'delivery:environments:register':
        createDeliveryEnvironmentsAction(deliveryOptions),
    };
    const inputs: Record<string, any> = {};
    for (const step of template.spec.steps as Step[]) {
      const input = renderInput(step.input, {
        parameters: PARAMETERS,
        steps: STEP_OUTPUTS,
      });
      const validate = ajv.compile(actions[step.action].schema!.input!);
      expect({
        step: step.id,
        valid: validate(input),
        errors: validate.errors,
      }).toEqual({ step: step.id, valid: true, errors: null });
      inputs[step.id] = input;
    }

    expect(inputs['validate-owner']).toEqual({
      owner: 'group:default/team-payments',
    });
    expect(inputs.fetch).toEqual({
      url: './skeleton',
      values: {
        name: 'checkout-v2',
        owner: 'group:default/team-payments',
        description: PARAMETERS.description,
        flagKey: 'one-page-checkout',
        regulated: false,
        destination: 'acme/checkout-v2',
      },
    });
    expect(inputs.publish).toEqual({
      repoUrl: 'localhost:7010?owner=acme&repo=checkout-v2',
      description: PARAMETERS.description,
      defaultBranch: 'main',
      repoVisibility: 'internal',
      topics: ['flag-ready', 'delivery'],
      protectDefaultBranch: false,
      gitCommitMessage:
        'Create checkout-v2 from the Flag-ready service template',
    });
    expect(parseRepoUrl(inputs.publish.repoUrl, integrations)).toMatchObject({
      host: 'localhost:7010',
      owner: 'acme',
      repo: 'checkout-v2',
    });
    expect(inputs.register).toEqual({
      repoContentsUrl: 'http://localhost:7010/acme/checkout-v2/blob/main',
      catalogInfoPath: '/catalog-info.yaml',
    });
    expect(inputs.flag).toEqual({
      entityRef: 'component:default/checkout-v2',
      key: 'one-page-checkout',
      description: 'The first feature of checkout-v2',
    });
    expect(inputs.environments).toEqual({
      entityRef: 'component:default/checkout-v2',
      manifestsPath: 'k8s',
    });
  });

  it("fails at its first step when the owner is not in the catalog, or not the person's team", async () => {
    const template = await readTemplate();
    const step = (template.spec.steps as Step[])[0];
    const render = (owner: string) =>
      renderInput(step.input, { parameters: { ...PARAMETERS, owner } });
    const asked: string[] = [];
    const action = createValidateOwnerAction({
      catalog: {
        getEntityByRef: async (ref: string) => {
          asked.push(ref);
          return ref === 'group:default/no-such-team'
            ? undefined
            : { kind: 'Group', metadata: { name: ref.split('/')[1] } };
        },
      } as any,
      userInfo: mockServices.userInfo({
        ownershipEntityRefs: [
          'user:default/mock',
          'group:default/team-payments',
        ],
      }),
    });
    await expect(
      action.handler(
        createMockActionContext({
          input: render('group:default/no-such-team'),
        }),
      ),
    ).rejects.toThrow(
      'The owner group:default/no-such-team is not a group in the catalog',
    );
    await expect(
      action.handler(
        createMockActionContext({ input: render('team-storefront') }),
      ),
    ).rejects.toThrow(
      'user:default/mock is not a member of group:default/team-storefront',
    );
    const ctx = createMockActionContext({ input: render('team-payments') });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith(
      'owner',
      'group:default/team-payments',
    );
    expect(asked).toEqual([
      'group:default/no-such-team',
      'group:default/team-storefront',
      'group:default/team-payments',
    ]);
  });

  it('links the repository and the catalog entity, and lists the flag and environments', async () => {
    const output = renderInput((await readTemplate()).spec.output, {
      parameters: PARAMETERS,
      steps: STEP_OUTPUTS,
    });
    expect(output.links).toEqual([
      {
        title: 'Repository',
        url: 'http://localhost:7010/acme/checkout-v2.git',
      },
      {
        title: 'Open in catalog',
        icon: 'catalog',
        entityRef: 'component:default/checkout-v2',
      },
    ]);
    expect(output.text).toHaveLength(1);
    const text: string = output.text[0].content;
    expect(text).not.toMatch(/\$\{\{|\{%/);
    expect(text).toContain(
      'The flag **one-page-checkout** is off in uat, canary, production',
    );
    expect(text).toContain(
      '- **canary** (cluster canary): namespace `checkout-v2` created; Service checkout-v2 created, Deployment checkout-v2 created',
    );
  });
});

describe('the rendered skeleton', () => {
  let tmp: string;

  /** Renders the skeleton with the template's own fetch step, for `parameters`. */
  async function render(parameters: typeof PARAMETERS): Promise<string> {
    const template = await readTemplate();
    const step = (template.spec.steps as Step[]).find(s => s.id === 'fetch')!;
    const workspacePath = path.join(
      tmp,
      parameters.regulated ? 'regulated' : 'plain',
    );
    await fs.mkdir(workspacePath);
    const action = createFetchTemplateAction({
      reader: mockServices.urlReader.mock(),
      integrations,
    });
    await action.handler({
      ...createMockActionContext({
        input: renderInput(step.input, { parameters }),
        workspacePath,
        templateInfo: {
          entityRef: 'template:default/flag-ready-service',
          baseUrl: pathToFileURL(TEMPLATE_FILE).toString(),
        },
      }),
      // Where the action fetches the skeleton to: beside the workspace, as in a real task.
      createTemporaryDirectory: () => fs.mkdtemp(path.join(tmp, 'fetch-')),
    });
    return workspacePath;
  }

  async function files(dir: string): Promise<string[]> {
    const entries = await fs.readdir(dir, {
      recursive: true,
      withFileTypes: true,
    });
    return entries
      .filter(entry => entry.isFile())
      .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort();
  }

  let plain: string;
  let regulated: string;

  beforeAll(async () => {
    // Inside the repository, so that the rendered service resolves @openfeature/*, prom-client
    // and typescript from the monorepo's node_modules. Ignored by git while it exists.
    tmp = await fs.mkdtemp(path.join(PACKAGE_DIR, '.render-tmp-'));
    await fs.writeFile(path.join(tmp, '.gitignore'), '*\n');
    plain = await render(PARAMETERS);
    regulated = await render({ ...PARAMETERS, regulated: true });
  });

  afterAll(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('has the files of a service repository, with no template syntax left', async () => {
    const rendered = await files(plain);
    expect(rendered).toEqual(
      [
        '.dockerignore',
        '.github/workflows/ci.yaml',
        '.gitignore',
        'Dockerfile',
        'README.md',
        'catalog-info.yaml',
        'eslint.config.mjs',
        'k8s/deployment.yaml',
        'k8s/service.yaml',
        'package.json',
        'src/config.ts',
        'src/index.ts',
        'src/metrics.ts',
        'src/server.test.ts',
        'src/server.ts',
        'tsconfig.json',
      ].sort(),
    );
    const leftovers: string[] = [];
    for (const file of rendered) {
      const text = await fs.readFile(path.join(plain, file), 'utf8');
      // GitHub's expressions stay in the workflow; nothing else may look like a template.
      const syntax =
        file === '.github/workflows/ci.yaml'
          ? /\{%|%\}|values\./
          : /\{%|%\}|values\.|\$\{\{/;
      if (syntax.test(text)) leftovers.push(file);
    }
    expect(leftovers).toEqual([]);
    const pkg = JSON.parse(
      await fs.readFile(path.join(plain, 'package.json'), 'utf8'),
    );
    expect(pkg).toMatchObject({
      name: 'checkout-v2',
      private: true,
      scripts: {
        build: expect.any(String),
        test: expect.stringContaining('node --test'),
        lint: expect.any(String),
        start: expect.any(String),
      },
      dependencies: {
        '@openfeature/server-sdk': expect.any(String),
        '@openfeature/flagd-provider': expect.any(String),
        '@openfeature/core': expect.any(String),
        'prom-client': expect.any(String),
      },
      devDependencies: {
        typescript: expect.any(String),
        '@types/node': expect.any(String),
      },
    });
  });

  it('describes the service for the catalog and the delivery portal', async () => {
    const entity: Entity = yaml.parse(
      await fs.readFile(path.join(plain, 'catalog-info.yaml'), 'utf8'),
    );
    const policy = EntityPolicies.allOf([
      new DefaultNamespaceEntityPolicy(),
      new NoForeignRootFieldsEntityPolicy(),
      new FieldFormatEntityPolicy(),
      new SchemaValidEntityPolicy(),
    ]);
    await expect(policy.enforce(entity)).resolves.toBeDefined();
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    expect(entity).toMatchObject({
      kind: 'Component',
      metadata: { name: 'checkout-v2', description: PARAMETERS.description },
      spec: {
        type: 'service',
        lifecycle: 'experimental',
        owner: 'group:default/team-payments',
      },
    });
    const annotations = entity.metadata.annotations!;
    expect(annotations).toEqual({
      [ANNOTATION_GITHUB_PROJECT_SLUG]: 'acme/checkout-v2',
      [ANNOTATION_KUBERNETES_ID]: 'checkout-v2',
      [ANNOTATION_KUBERNETES_NAMESPACE]: 'checkout-v2',
      [ANNOTATION_REQUIRED_CHECKS]: 'build,unit-tests,lint',
      [ANNOTATION_FLAG_ENDPOINTS]: 'one-page-checkout=/hello',
    });
    expect(missingAnnotations(annotations)).toEqual([]);
    expect(requiredChecksFrom(annotations)).toEqual([
      'build',
      'unit-tests',
      'lint',
    ]);
    expect(parseFlagEndpoints(annotations[ANNOTATION_FLAG_ENDPOINTS])).toEqual(
      new Map([['one-page-checkout', ['/hello']]]),
    );
    expect(isRegulated(annotations)).toBe(false);
  });

  it('marks a regulated service, and only that one', async () => {
    const text = await fs.readFile(
      path.join(regulated, 'catalog-info.yaml'),
      'utf8',
    );
    const entity: Entity = yaml.parse(text);
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    expect(entity.metadata.annotations).toMatchObject({
      [ANNOTATION_REGULATED]: 'true',
    });
    expect(isRegulated(entity.metadata.annotations)).toBe(true);
    expect(Object.keys(entity.metadata.annotations!)).toHaveLength(6);
    // The plain one differs by that line only.
    const plainText = await fs.readFile(
      path.join(plain, 'catalog-info.yaml'),
      'utf8',
    );
    expect(
      text.replace(/\n *delivery\.backstage\.io\/regulated: .*/, ''),
    ).toEqual(plainText);

    const readme = await fs.readFile(path.join(regulated, 'README.md'), 'utf8');
    expect(readme).toContain('This service is **regulated**');
    expect(
      await fs.readFile(path.join(plain, 'README.md'), 'utf8'),
    ).not.toContain('regulated');
  });

  it('holds manifests the delivery backend registers', async () => {
    // Read the way delivery:environments:register reads them.
    const manifests = (await readManifests(path.join(plain, 'k8s'))) as any[];
    expect(manifests.map(m => `${m.apiVersion} ${m.kind}`)).toEqual([
      'apps/v1 Deployment',
      'v1 Service',
    ]);
    const [deployment, service] = manifests;
    for (const manifest of manifests) {
      expect(manifest.metadata.name).toBe('checkout-v2');
      expect(manifest.metadata).not.toHaveProperty('namespace');
    }
    // The delivery backend's rules (workloadManifestProblems of WorkloadRegistrationService),
    // which it checks before it creates anything: kinds and apiVersions, DNS-label names, no
    // namespace (or the service's), and the kubernetes-id label on the Deployment and its pods.
    const labels = {
      'app.kubernetes.io/name': 'checkout-v2',
      'backstage.io/kubernetes-id': 'checkout-v2',
    };
    expect(deployment.metadata.labels).toEqual(labels);
    expect(deployment.spec.template.metadata.labels).toEqual(labels);
    expect(
      workloadManifestProblems(manifests, {
        kubernetesId: 'checkout-v2',
        namespace: 'checkout-v2',
        entityRef: 'component:default/checkout-v2',
      }),
    ).toEqual([]);
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'checkout-v2',
    });
    expect(deployment.spec.replicas).toBe(2);

    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe('sandbox.local/acme/checkout-v2:initial');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      expect(container[probe].httpGet).toEqual({
        path: '/healthz',
        port: 'http',
      });
    }
    expect(container.resources).toEqual({
      requests: { cpu: expect.any(String), memory: expect.any(String) },
      limits: { cpu: expect.any(String), memory: expect.any(String) },
    });
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [
        e.name,
        e.value,
      ]),
    );
    expect(env).toMatchObject({ PORT: '8080', FLAGD_PORT: '8015' });
    expect(env.FLAGD_HOST).toEqual(expect.any(String));

    expect(service.spec.selector).toEqual({
      'app.kubernetes.io/name': 'checkout-v2',
    });
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http' },
    ]);
  });

  it('has CI jobs named after the required checks, with GitHub expressions intact', async () => {
    const text = await fs.readFile(
      path.join(plain, '.github/workflows/ci.yaml'),
      'utf8',
    );
    const workflow = yaml.parse(text);
    expect(Object.keys(workflow.jobs)).toEqual(['build', 'unit-tests', 'lint']);
    expect(text).toContain('${{ github.sha }}');
    expect(text).toContain('${{ secrets.GITHUB_TOKEN }}');
    // Copied as it is: the skeleton's file without the raw markers.
    const source = await fs.readFile(
      path.join(TEMPLATE_DIR, 'skeleton/.github/workflows/ci.yaml'),
      'utf8',
    );
    expect(text).toBe(source.replace(/\{%-? *(end)?raw *-?%\}/g, ''));
  });

  describe('as a program', () => {
    const services: RunningService[] = [];

    beforeAll(async () => {
      // What the new repository's `npm run build` does (a type error fails it).
      await run(
        process.execPath,
        [TSC, '-p', path.join(plain, 'tsconfig.json')],
        { cwd: plain },
      ).catch(error => {
        throw new Error(`tsc failed:\n${error.stdout}${error.stderr}`);
      });
    }, 120_000);

    afterEach(async () => {
      await Promise.all(services.splice(0).map(service => service.kill()));
    });

    it('passes its own node:test tests (its CI job unit-tests)', async () => {
      const { stdout } = await run(
        process.execPath,
        ['--test', '--test-reporter=tap', 'dist/**/*.test.js'],
        { cwd: plain, env: { ...process.env, NODE_OPTIONS: '' } },
      );
      expect(stdout).toMatch(/^# fail 0$/m);
      expect(stdout).toMatch(/^# pass [1-9]/m);
    }, 60_000);

    it('passes ESLint with its own configuration (its CI job lint)', async () => {
      // The monorepo's ESLint 8 reads the flat configuration the new repository's ESLint 9 reads.
      const { stdout } = await run(
        process.execPath,
        [ESLINT, '--max-warnings', '0', 'src', 'eslint.config.mjs'],
        { cwd: plain, env: { ...process.env, ESLINT_USE_FLAT_CONFIG: 'true' } },
      ).catch(error => {
        throw new Error(`eslint failed:\n${error.stdout}${error.stderr}`);
      });
      expect(stdout).toBe('');
    }, 60_000);

    it('serves /healthz, /hello (flag off without flagd) and /metrics, and stops on SIGTERM', async () => {
      const service = await startService(plain, {
        DEPLOY_ENVIRONMENT: 'uat',
        FLAGD_HOST: '127.0.0.1',
        FLAGD_PORT: String(await closedPort()),
      });
      services.push(service);

      const health = await fetch(`${service.base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const hello = await fetch(`${service.base}/hello`, {
        headers: { 'x-user-id': 'ada' },
      });
      expect(hello.status).toBe(200);
      expect(await hello.json()).toEqual({
        service: 'checkout-v2',
        message: 'Hello from checkout-v2',
        flags: { 'one-page-checkout': false },
      });

      // The provider fails to connect and retries in the background; the service lives on.
      await service.until(line =>
        line.message?.startsWith('Feature flags not synced'),
      );
      const again = await fetch(`${service.base}/hello`);
      expect((await again.json()).flags).toEqual({
        'one-page-checkout': false,
      });

      const metrics = await (await fetch(`${service.base}/metrics`)).text();
      expect(metrics).toMatch(
        /^http_requests_total\{method="GET",handler="\/hello",code="200"\} 2$/m,
      );
      expect(metrics).toContain('http_request_duration_seconds_bucket{');
      expect(metrics).toContain('process_cpu_user_seconds_total');
      expect(metrics).toContain('nodejs_eventloop_lag_seconds');

      expect(await service.stop()).toBe(0);
      expect(service.lines.map(line => line.message)).toEqual(
        expect.arrayContaining(['Shutting down', 'Stopped']),
      );
    }, 60_000);

    it("reads its flag from the portal's flag sync server, per user, and follows changes", async () => {
      const asked: FlagSyncSelector[] = [];
      const listeners = new Set<(environment: string) => void>();
      let revision = 1;
      // Off by default, on for ada (the x-user-id of a request is the targeting key).
      let defaultVariant = 'off';
      let targeting: unknown = {
        if: [{ '==': [{ var: 'targetingKey' }, 'ada'] }, 'on', 'off'],
      };
      const portal = await startFlagSyncServer({
        port: 0,
        logger: mockServices.logger.mock(),
        source: {
          async snapshot(selector) {
            asked.push(selector);
            return {
              revision: String(revision),
              configuration: JSON.stringify({
                flags: {
                  'one-page-checkout': {
                    state: 'ENABLED',
                    variants: { on: true, off: false },
                    defaultVariant,
                    targeting,
                  },
                },
              }),
            };
          },
          watch(listener) {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        },
      });
      try {
        const service = await startService(plain, {
          DEPLOY_ENVIRONMENT: 'uat',
          FLAGD_HOST: '127.0.0.1',
          FLAGD_PORT: String(portal.port),
        });
        services.push(service);
        await service.until(line => line.message === 'Feature flags synced');
        expect(asked).toContainEqual({
          environment: 'uat',
          service: 'checkout-v2',
        });

        const flagFor = async (user?: string) => {
          const response = await fetch(`${service.base}/hello`, {
            headers: user ? { 'x-user-id': user } : {},
          });
          return (await response.json()).flags['one-page-checkout'];
        };
        expect(await flagFor('ada')).toBe(true);
        expect(await flagFor('grace')).toBe(false);
        expect(await flagFor()).toBe(false);

        // Turned on for everyone in the portal: the service has it a moment later.
        defaultVariant = 'on';
        targeting = undefined;
        revision += 1;
        for (const listener of listeners) listener('uat');
        for (let i = 0; i < 100 && !(await flagFor('grace')); i++) {
          await new Promise(resolve => setTimeout(resolve, 50));
        }
        expect(await flagFor('grace')).toBe(true);

        expect(await service.stop()).toBe(0);
      } finally {
        await portal.close();
      }
    }, 60_000);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

interface RunningService {
  base: string;
  /** The JSON lines it logged. */
  lines: any[];
  /** Resolves with the first log line `find` accepts. */
  until(find: (line: any) => unknown): Promise<any>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts the compiled service in `dir` on a free port, with only `env` (and PATH). */
async function startService(
  dir: string,
  env: Record<string, string>,
): Promise<RunningService> {
  const child = spawn(process.execPath, ['dist/index.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: any[] = [];
  let output = '';
  child.stdout.on('data', chunk => {
    output += chunk;
    for (const line of String(chunk).split('\n')) {
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not a log line of ours
      }
    }
  });
  child.stderr.on('data', chunk => {
    output += chunk;
  });
  const exit = new Promise<number | null>(resolve =>
    child.once('exit', code => resolve(code)),
  );
  const until = async (find: (line: any) => unknown) => {
    for (let i = 0; i < 200; i++) {
      const found = lines.find(line => find(line));
      if (found) return found;
      if (child.exitCode !== null) break;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    throw new Error(`No such log line; the service wrote:\n${output}`);
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  const { port } = await until(line => line.message === 'Listening');
  return {
    base: `http://127.0.0.1:${port}`,
    lines,
    until,
    async stop() {
      child.kill('SIGTERM');
      return exit;
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exit;
    },
  };
}
