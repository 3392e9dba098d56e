import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'yaml';
import {
  DeliveryApiOptions,
  componentRef,
  deliveryClient,
  entityRefInput,
  errorMessage,
  plainJson,
  refused,
  untilInCatalog,
  waitForCatalogInput,
} from '../deliveryApi';
import { examples } from './registerEnvironments.examples';

/** The manifests in `dir` (or its listed files): every YAML document of every .yaml/.yml file. */
export async function readManifests(
  dir: string,
  files?: string[],
): Promise<unknown[]> {
  let names: string[];
  try {
    names =
      files ??
      (await fs.readdir(dir))
        .filter(name => /\.ya?ml$/.test(name))
        .sort((a, b) => a.localeCompare(b));
  } catch (error) {
    throw new InputError(
      `manifestsPath: cannot read ${path.basename(dir)}: ${
        (error as Error).message
      }`,
    );
  }
  const manifests: unknown[] = [];
  for (const name of names) {
    const file = resolveSafeChildPath(dir, name);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new InputError(`${name}: ${(error as Error).message}`);
    }
    for (const document of yaml.parseAllDocuments(text)) {
      if (document.errors.length > 0) {
        throw new InputError(`${name}: ${document.errors[0].message}`);
      }
      const value = document.toJSON();
      if (value !== null && value !== undefined) manifests.push(value);
    }
  }
  if (manifests.length === 0) {
    throw new InputError(
      `manifestsPath: no Kubernetes manifests in ${names.join(', ') || 'it'}`,
    );
  }
  return manifests;
}

/**
 * `delivery:environments:register`: puts a new service's workload in every delivery environment
 * (UAT, canary, production): creates its namespace where it is missing and the objects of the
 * template's manifests where they are not there yet, through the delivery backend as the person
 * running the template. What exists is left as it is, so a retry finishes what a failed run
 * started. A dry run asks the backend what it would create.
 */
export function createDeliveryEnvironmentsAction(options: DeliveryApiOptions) {
  return createTemplateAction({
    id: 'delivery:environments:register',
    description:
      "Registers a new service's workload (namespace, Deployment, Services, ConfigMaps) in every delivery environment",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          entityRefInput(
            z,
            'its backstage.io/kubernetes-id and -namespace say where the workload goes',
          ),
        manifestsPath: z =>
          z
            .string()
            .default('k8s')
            .describe(
              'Directory of the workspace holding the Kubernetes manifests (every .yaml file, every document)',
            ),
        files: z =>
          z
            .array(z.string())
            .optional()
            .describe('Only these files of manifestsPath'),
        waitForCatalogSeconds: z => waitForCatalogInput(z),
      },
      output: {
        environments: z =>
          z
            .array(
              z.object({
                environment: z.string(),
                cluster: z.string(),
                namespace: z.string(),
                namespaceResult: z.string(),
                objects: z.array(
                  z.object({
                    kind: z.string(),
                    name: z.string(),
                    result: z.string(),
                  }),
                ),
              }),
            )
            .describe('What was created (or found) in each environment'),
      },
    },
    async handler(ctx) {
      const { entityRef } = ctx.input;
      const ref = componentRef(entityRef);
      const manifests = await readManifests(
        resolveSafeChildPath(
          ctx.workspacePath,
          ctx.input.manifestsPath ?? 'k8s',
        ),
        ctx.input.files,
      );
      const credentials = await ctx.getInitiatorCredentials();
      const { client, token } = await deliveryClient(options, credentials);
      // Safe to repeat: the backend creates only what is missing.
      const response = await untilInCatalog(ctx, () =>
        client.registerWorkload(
          {
            path: ref,
            body: {
              manifests: manifests as any,
              dryRun: ctx.isDryRun ?? false,
            },
          },
          { token },
        ),
      );
      if (response.status === 400 || response.status === 422) {
        throw new InputError(await errorMessage(response));
      }
      if (!response.ok) {
        throw await refused(response, `register the workload of ${entityRef}`);
      }
      const result = await response.json();
      for (const env of result.environments) {
        ctx.logger.info(
          `${env.environment} (cluster ${env.cluster}): namespace ${
            env.namespace
          } ${env.namespaceResult}; ${env.objects
            .map(o => `${o.kind} ${o.name} ${o.result}`)
            .join(', ')}`,
        );
      }
      ctx.output('environments', plainJson(result.environments));
    },
  });
}
