import { DeployedVersion, RolloutState } from './types';

/** The parts of a Kubernetes Deployment that the rollout rules read. */
export interface DeploymentLike {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    template?: {
      spec?: { containers?: Array<{ name?: string; image?: string }> };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

/** Replica counts of a Deployment, zero when the status does not say. */
export function replicaCounts(deployment: DeploymentLike) {
  const status = deployment.status ?? {};
  return {
    desired: deployment.spec?.replicas ?? 1,
    ready: status.readyReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    available: status.availableReplicas ?? 0,
  };
}

/**
 * The rollout state of a Deployment, by the rule `kubectl rollout status` uses: complete when the
 * controller has observed the newest generation, every desired replica runs the new template,
 * no old replica is left and all updated replicas are available.
 */
export function rolloutState(
  deployment: DeploymentLike | undefined,
): RolloutState {
  if (!deployment) return 'missing';
  const { desired, updated, available } = replicaCounts(deployment);
  const generation = deployment.metadata?.generation ?? 0;
  const observed = deployment.status?.observedGeneration ?? 0;
  const total = deployment.status?.replicas ?? 0;
  if (observed < generation) return 'progressing';
  if (desired === 0) return total === 0 ? 'scaled-down' : 'progressing';
  if (updated < desired || total > updated || available < updated) {
    return 'progressing';
  }
  return 'complete';
}

/** Splits an image reference into its tag (ignoring digests and registry ports). */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > lastSlash ? withoutDigest.slice(lastColon + 1) : undefined;
}

/**
 * The version a Deployment runs: the image of its main container (the one named like the
 * workload, else the first) and the commit sha recorded in `commitShaAnnotation`.
 */
export function deployedVersion(
  deployment: DeploymentLike & { metadata?: { name?: string } },
  commitShaAnnotation: string,
): DeployedVersion | undefined {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const main =
    containers.find(c => c.name === deployment.metadata?.name) ?? containers[0];
  if (!main?.image) return undefined;
  const commitSha = deployment.metadata?.annotations?.[commitShaAnnotation];
  return {
    image: main.image,
    imageTag: imageTag(main.image),
    ...(commitSha ? { commitSha } : {}),
  };
}
