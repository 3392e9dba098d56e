/*
 * Browser pages of the sandbox clusters, so the links a portal shows for an environment open
 * something in the demo: `/_sandbox/apps/{namespace}` stands for the running application (its
 * Deployments: image, commit, ready/desired replicas) and `/_sandbox/dashboards/{namespace}` for
 * its monitoring dashboard (ResourceQuota use against the hard limits, rollout conditions, the
 * expiration). Everything shown is escaped; a namespace that does not exist is a 404 page.
 */
import { KubeObject, KubeStore } from './KubeStore';
import { parseQuantity, quantityValue } from './quantity';

/** The annotation that names the commit a workload runs. */
export const COMMIT_ANNOTATION = 'delivery.backstage.io/commit-sha';
/** The label and annotation that carry an ephemeral environment's expiration. */
export const EXPIRATION_LABEL = 'expiration';
export const EXPIRATION_ANNOTATION = 'delivery.backstage.io/expiration';

/** An HTML answer. */
export interface Page {
  status: number;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, c => HTML_ESCAPES[c]);
}

const STYLE = `body{font-family:sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #ddd;vertical-align:top}
code{background:#f3f3f3;padding:0 .2em}.ok{color:#1b7e2e}.bad{color:#b3261e}.muted{color:#777}
.bar{background:#eee;width:12em;height:.8em;display:inline-block;vertical-align:middle}.bar span{display:block;height:100%;background:#3f6fb5}
.bar span.full{background:#b3261e}`;

function page(status: number, title: string, body: string): Page {
  return {
    status,
    html: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(
      title,
    )}</title><style>${STYLE}</style></head><body>${body}</body></html>`,
  };
}

function missing(cluster: string, namespace: string): Page {
  return page(
    404,
    `${namespace} not found`,
    `<h1>Not found</h1><p>The namespace <code>${escapeHtml(
      namespace,
    )}</code> does not exist in the sandbox cluster <code>${escapeHtml(
      cluster,
    )}</code> (it may have expired and been deleted).</p>`,
  );
}

function namespaceSummary(ns: KubeObject): string {
  const labels: Record<string, string> = ns.metadata.labels ?? {};
  const annotations: Record<string, string> = ns.metadata.annotations ?? {};
  const rows: Array<[string, unknown]> = [];
  const service = labels['delivery.backstage.io/service'];
  const branch =
    annotations['delivery.backstage.io/branch'] ??
    labels['delivery.backstage.io/branch'];
  const owner = labels['delivery.backstage.io/owner'];
  if (service) rows.push(['Service', service]);
  if (branch) rows.push(['Branch', branch]);
  if (owner) rows.push(['Owner', owner]);
  rows.push(['Phase', ns.status?.phase ?? '']);
  return `<table>${rows
    .map(
      ([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`,
    )
    .join('')}</table>`;
}

function readyOf(d: KubeObject): { ready: number; desired: number } {
  return {
    ready: d.status?.readyReplicas ?? 0,
    desired: typeof d.spec?.replicas === 'number' ? d.spec.replicas : 1,
  };
}

/** `GET /_sandbox/apps/{namespace}`: the application of a namespace. */
export function appPage(
  store: KubeStore,
  cluster: string,
  namespace: string,
): Page {
  const ns = store.get('namespaces', null, namespace);
  if (!ns) return missing(cluster, namespace);
  const deployments = store.list('deployments', namespace);
  const services = store.list('services', namespace);
  const rows = deployments
    .map(d => {
      const { ready, desired } = readyOf(d);
      const images = (d.spec?.template?.spec?.containers ?? [])
        .map((c: KubeObject) => `<code>${escapeHtml(c.image)}</code>`)
        .join('<br>');
      const commit = d.metadata.annotations?.[COMMIT_ANNOTATION];
      const state = ready >= desired ? 'ok' : 'bad';
      return `<tr><td>${escapeHtml(
        d.metadata.name,
      )}</td><td>${images}</td><td>${
        commit
          ? `<code title="${escapeHtml(commit)}">${escapeHtml(
              String(commit).slice(0, 12),
            )}</code>`
          : '<span class="muted">unknown</span>'
      }</td><td class="${state}">${ready}/${desired}</td></tr>`;
    })
    .join('');
  const serviceItems = services
    .map(s => {
      const ports = (s.spec?.ports ?? [])
        .map((p: KubeObject) => `${p.port}/${p.protocol ?? 'TCP'}`)
        .join(', ');
      return `<li><code>${escapeHtml(
        `${s.metadata.name}.${namespace}.svc`,
      )}</code> ${escapeHtml(ports)}</li>`;
    })
    .join('');
  return page(
    200,
    `${namespace} · app`,
    `<h1>${escapeHtml(
      namespace,
    )}</h1><p class="muted">Sandbox cluster ${escapeHtml(
      cluster,
    )}: the application running in this namespace.</p>${namespaceSummary(
      ns,
    )}<h2>Deployments</h2>${
      rows
        ? `<table><tr><th>Name</th><th>Image</th><th>Commit</th><th>Ready</th></tr>${rows}</table>`
        : '<p class="muted">No Deployments.</p>'
    }<h2>Services</h2>${
      serviceItems
        ? `<ul>${serviceItems}</ul>`
        : '<p class="muted">No Services.</p>'
    }`,
  );
}

function share(used: string, hard: string): number | undefined {
  try {
    const h = quantityValue(parseQuantity(hard));
    if (h <= 0) return undefined;
    return quantityValue(parseQuantity(used)) / h;
  } catch {
    return undefined;
  }
}

/** `GET /_sandbox/dashboards/{namespace}`: quota use, rollout health and expiration. */
export function dashboardPage(
  store: KubeStore,
  cluster: string,
  namespace: string,
): Page {
  const ns = store.get('namespaces', null, namespace);
  if (!ns) return missing(cluster, namespace);
  const expirationLabel = ns.metadata.labels?.[EXPIRATION_LABEL];
  const expirationAnnotation = ns.metadata.annotations?.[EXPIRATION_ANNOTATION];
  const expires = Date.parse(String(expirationAnnotation ?? ''));
  let remaining = '';
  if (!Number.isNaN(expires)) {
    const minutes = Math.round((expires - Date.now()) / 60_000);
    remaining =
      minutes >= 0 ? `in ${minutes} min` : `${-minutes} min ago (expired)`;
  }
  const expiration = `<h2>Expiration</h2>${
    expirationLabel || expirationAnnotation
      ? `<table><tr><th>Annotation <code>${escapeHtml(
          EXPIRATION_ANNOTATION,
        )}</code></th><td>${escapeHtml(expirationAnnotation ?? '—')}${
          remaining
            ? ` <span class="muted">(${escapeHtml(remaining)})</span>`
            : ''
        }</td></tr><tr><th>Label <code>${escapeHtml(
          EXPIRATION_LABEL,
        )}</code></th><td>${escapeHtml(
          expirationLabel ?? '—',
        )}</td></tr></table>`
      : '<p class="muted">This namespace does not expire.</p>'
  }`;
  const quotas = store
    .list('resourcequotas', namespace)
    .map(q => {
      const hard: Record<string, string> = q.status?.hard ?? q.spec?.hard ?? {};
      const used: Record<string, string> = q.status?.used ?? {};
      const rows = Object.keys(hard)
        .sort()
        .map(key => {
          const u = used[key] ?? '0';
          const s = share(u, hard[key]);
          const bar =
            s === undefined
              ? ''
              : `<span class="bar" title="${Math.round(
                  s * 100,
                )} %"><span class="${
                  s >= 1 ? 'full' : ''
                }" style="width:${Math.min(
                  100,
                  Math.round(s * 100),
                )}%"></span></span> ${Math.round(s * 100)} %`;
          return `<tr><td><code>${escapeHtml(key)}</code></td><td>${escapeHtml(
            u,
          )}</td><td>${escapeHtml(hard[key])}</td><td>${bar}</td></tr>`;
        })
        .join('');
      return `<h3>${escapeHtml(
        q.metadata.name,
      )}</h3><table><tr><th>Resource</th><th>Used</th><th>Hard</th><th></th></tr>${rows}</table>`;
    })
    .join('');
  const health = store
    .list('deployments', namespace)
    .map(d => {
      const { ready, desired } = readyOf(d);
      const problems = (d.status?.conditions ?? [])
        .filter(
          (c: KubeObject) =>
            c.type === 'ReplicaFailure' ||
            (c.type === 'Progressing' && c.status === 'False'),
        )
        .map(
          (c: KubeObject) =>
            `<div class="bad">${escapeHtml(c.type)}: ${escapeHtml(
              c.reason,
            )} — ${escapeHtml(c.message)}</div>`,
        )
        .join('');
      return `<tr><td>${escapeHtml(d.metadata.name)}</td><td class="${
        ready >= desired ? 'ok' : 'bad'
      }">${ready}/${desired}</td><td>${
        problems || '<span class="ok">healthy</span>'
      }</td></tr>`;
    })
    .join('');
  return page(
    200,
    `${namespace} · dashboard`,
    `<h1>${escapeHtml(
      namespace,
    )} dashboard</h1><p class="muted">Sandbox cluster ${escapeHtml(
      cluster,
    )}.</p>${namespaceSummary(ns)}${expiration}<h2>Resource quotas</h2>${
      quotas || '<p class="muted">No ResourceQuota.</p>'
    }<h2>Rollouts</h2>${
      health
        ? `<table><tr><th>Deployment</th><th>Ready</th><th>Status</th></tr>${health}</table>`
        : '<p class="muted">No Deployments.</p>'
    }`,
  );
}
