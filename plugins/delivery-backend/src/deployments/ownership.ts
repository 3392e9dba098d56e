import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_JENKINS_JOB,
  WORKLOAD_ANNOTATION_ENTITY_REFS,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';
import { KubernetesProvider, Workload } from '../providers/kubernetes';
import { DeliveryEntity } from '../services/EntityResolver';
import { namespaceOf } from './types';

/**
 * Why the portal may not change something a service's annotations point at: `forbidden` when it
 * belongs to someone else (403), `unbound` when nothing says whose it is (422).
 */
export interface OwnershipProblem {
  kind: 'forbidden' | 'unbound';
  message: string;
}

/** A Jenkins folder (or job) and the groups or users whose services may trigger jobs in it. */
export interface JenkinsJobOwners {
  folder: string;
  owners: string[];
}

const normalize = (ref: string) => ref.trim().toLocaleLowerCase('en-US');

/**
 * The workload names the entity in its `delivery.backstage.io/entity-refs` annotation. Catalog
 * annotations alone cannot bind a workload: anyone may register a Component naming any
 * `backstage.io/kubernetes-id`, while only the workload's owners can annotate it.
 */
export function workloadOwnershipProblem(
  workload: Pick<Workload, 'cluster' | 'namespace' | 'name' | 'annotations'>,
  entityRef: string,
): OwnershipProblem | undefined {
  const where = `Deployment ${workload.namespace}/${workload.name} in ${workload.cluster}`;
  const named = workload.annotations[WORKLOAD_ANNOTATION_ENTITY_REFS]?.trim();
  if (!named) {
    return {
      kind: 'unbound',
      message: `${where} does not name the catalog entities that may deploy onto it: its owners add the annotation ${WORKLOAD_ANNOTATION_ENTITY_REFS}: ${entityRef}`,
    };
  }
  const refs = named.split(',').map(normalize);
  if (!refs.includes(normalize(entityRef))) {
    return {
      kind: 'forbidden',
      message: `${where} belongs to ${named} (annotation ${WORKLOAD_ANNOTATION_ENTITY_REFS}), not to ${entityRef}`,
    };
  }
  return undefined;
}

/**
 * The Jenkins job sits in a folder whose owners (`delivery.jenkins.jobOwners`, the most specific
 * folder wins) include the service's owner.
 */
export function jenkinsOwnershipProblem(
  service: DeliveryEntity,
  job: string,
  jobOwners: JenkinsJobOwners[],
): OwnershipProblem | undefined {
  const path = job.replace(/^\/+|\/+$/g, '');
  const folder = jobOwners
    .map(o => ({ ...o, folder: o.folder.replace(/^\/+|\/+$/g, '') }))
    .filter(o => path === o.folder || path.startsWith(`${o.folder}/`))
    .sort((a, b) => b.folder.length - a.folder.length)[0];
  if (!folder) {
    return {
      kind: 'unbound',
      message: `Jenkins job ${path} (annotation ${ANNOTATION_JENKINS_JOB}) is in no folder of delivery.jenkins.jobOwners, so nothing says whose it is`,
    };
  }
  const owner = service.entity.spec?.owner;
  const ownerRef =
    typeof owner === 'string' && owner
      ? stringifyEntityRef(
          parseEntityRef(owner, {
            defaultKind: 'group',
            defaultNamespace: service.entity.metadata.namespace ?? 'default',
          }),
        )
      : undefined;
  if (
    !ownerRef ||
    !folder.owners.map(normalize).includes(normalize(ownerRef))
  ) {
    return {
      kind: 'forbidden',
      message: `Jenkins folder ${folder.folder} belongs to ${folder.owners.join(
        ', ',
      )} (delivery.jenkins.jobOwners), not to ${
        ownerRef ?? 'an owner'
      }, the owner of ${service.entityRef}`,
    };
  }
  return undefined;
}

/**
 * Checks, before anything is written, that everything a service's annotations point at belongs
 * to it: its workload in every environment and its Jenkins job.
 */
export class OwnershipChecker {
  constructor(
    private readonly deps: {
      kubernetes: KubernetesProvider;
      environments: EnvironmentConfig[];
      /** When Jenkins is configured: the folders' owners. */
      jenkins?: { jobAnnotation: string; jobOwners: JenkinsJobOwners[] };
    },
  ) {}

  async problems(service: DeliveryEntity): Promise<OwnershipProblem[]> {
    const { kubernetes, environments, jenkins } = this.deps;
    const workloads = await Promise.all(
      environments.map(env =>
        kubernetes.findWorkload({
          cluster: env.cluster,
          namespace: namespaceOf(service, env),
          kubernetesId: service.kubernetesId,
        }),
      ),
    );
    const problems = workloads.flatMap(w =>
      w ? workloadOwnershipProblem(w, service.entityRef) ?? [] : [],
    );
    const job = jenkins
      ? service.entity.metadata.annotations?.[jenkins.jobAnnotation]
      : undefined;
    if (jenkins && job) {
      const problem = jenkinsOwnershipProblem(service, job, jenkins.jobOwners);
      if (problem) problems.push(problem);
    }
    return problems;
  }
}

/**
 * The workload a service's deployments change, the same for every entity pointing at it:
 * `<namespaces>/<kubernetes-id>`, at most one active deployment per workload.
 */
export function workloadKey(
  service: DeliveryEntity,
  environments: EnvironmentConfig[],
): string {
  const namespaces = [
    ...new Set(environments.map(env => namespaceOf(service, env))),
  ].sort();
  return `${namespaces.join(',')}/${service.kubernetesId}`;
}
