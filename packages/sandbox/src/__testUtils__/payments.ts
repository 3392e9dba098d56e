/*
 * Test helpers that drive the sandbox's payments-api over HTTP, as the portal does: deploy a
 * commit with a strategic merge patch, read its health from the traffic's `/health`.
 */
import { imageFor } from '../seed';
import type { Sandbox } from '../index';

/** Deploys `sha` as payments-api in `cluster` and waits for the rollout to finish. */
export async function deployPayments(
  sandbox: Sandbox,
  cluster: string,
  sha: string,
): Promise<void> {
  const url = `${sandbox.clusterUrls[cluster]}/apis/apps/v1/namespaces/payments/deployments/payments-api`;
  const res = await fetch(url, {
    method: 'PATCH',
    headers: { 'content-type': 'application/strategic-merge-patch+json' },
    body: JSON.stringify({
      metadata: {
        annotations: { 'delivery.backstage.io/commit-sha': sha },
      },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'payments-api', image: imageFor('payments-api', sha) },
            ],
          },
        },
      },
    }),
  });
  if (res.status !== 200) {
    throw new Error(`Deploying ${sha} to ${cluster}: ${res.status}`);
  }
  for (;;) {
    const d = await (await fetch(url)).json();
    if (
      d.status.observedGeneration === d.metadata.generation &&
      d.status.updatedReplicas === d.spec.replicas &&
      d.status.replicas === d.spec.replicas
    ) {
      return;
    }
    await new Promise(r => setTimeout(r, 20));
  }
}

/** The health of payments-api in `cluster` over the last `windowSeconds` (default 2). */
export async function paymentsHealth(
  sandbox: Sandbox,
  cluster: string,
  options?: { version?: string; windowSeconds?: number },
): Promise<{
  version: string;
  requests: number;
  errorRate: number | null;
  p95Seconds: number | null;
}> {
  const q = new URLSearchParams({
    cluster,
    namespace: 'payments',
    workload: 'payments-api',
    windowSeconds: String(options?.windowSeconds ?? 2),
    ...(options?.version ? { version: options.version } : {}),
  });
  const res = await fetch(`${sandbox.trafficUrl}/health?${q}`);
  if (res.status !== 200) {
    throw new Error(`Health of payments-api in ${cluster}: ${res.status}`);
  }
  return res.json();
}

/** Every rollback figure of payments-api in `cluster` over the last `windowSeconds` (default 2). */
export async function paymentsAnalysis(
  sandbox: Sandbox,
  cluster: string,
  options?: { version?: string; windowSeconds?: number },
): Promise<{
  requests: number;
  errorRate: number | null;
  p95Seconds: number | null;
  up: boolean;
  endpoints: Array<{ endpoint: string; requests: number; errors: number }>;
}> {
  const q = new URLSearchParams({
    cluster,
    namespace: 'payments',
    workload: 'payments-api',
    windowSeconds: String(options?.windowSeconds ?? 2),
    ...(options?.version ? { version: options.version } : {}),
  });
  const res = await fetch(`${sandbox.trafficUrl}/analysis?${q}`);
  if (res.status !== 200) {
    throw new Error(`Analysis of payments-api in ${cluster}: ${res.status}`);
  }
  return res.json();
}

/** The share of a sample's errors that sit on `endpoint` (0 without errors). */
export function errorShareOn(
  sample: { endpoints: Array<{ endpoint: string; errors: number }> },
  endpoint: string,
): number {
  const total = sample.endpoints.reduce((n, e) => n + e.errors, 0);
  const there = sample.endpoints.find(e => e.endpoint === endpoint)?.errors;
  return total > 0 ? (there ?? 0) / total : 0;
}
