import { ReactNode, useCallback } from 'react';
import { TableColumn } from '@backstage/core-components';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  DoraCommit,
  DoraDeployment,
  DoraIncident,
} from '@internal/plugin-delivery-common';
import { formatTime, shortSha } from '../../DeploymentsTab/shared';
import { formatDurationMs, refName } from '../shared';

const useStyles = makeStyles(theme => ({
  failed: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  rework: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
}));

/** Builds the Deployments tab's link to one of a service's deployments. */
export type TokenLink = (entityRef: string, token: string) => string;

/** The Deployments tab of the service with the deployment opened: `…/deployments?token=DEP-…`. */
export function useTokenLink(): TokenLink {
  const entityLink = useEntityRefLink();
  return useCallback(
    (entityRef, token) =>
      `${entityLink(entityRef)}/deployments?token=${encodeURIComponent(token)}`,
    [entityLink],
  );
}

/**
 * A deployment's source id for people: the portal's token, `GitHub 1800078402` for a GitHub
 * deployment (`github:deployment_status:1800078402:component:default/x`), else the id itself.
 */
export function deploymentLabel(id: string): string {
  const token = /DEP-\d{13}-\d{6}/.exec(id);
  if (token) return token[0];
  const github = /^github:(?:[a-z_]+:)?(\d+)/.exec(id);
  if (github) return `GitHub ${github[1]}`;
  return id;
}

/** A portal deployment's token linking to it, a GitHub one's link, else its id. */
function DeploymentLink({
  entityRef,
  token,
  url,
  fallback,
  tokenLink,
}: {
  entityRef: string;
  token?: string;
  url?: string;
  fallback?: string;
  tokenLink: TokenLink;
}) {
  if (token) {
    return (
      <Link href={tokenLink(entityRef, token)} aria-label={`Open ${token}`}>
        {token}
      </Link>
    );
  }
  if (url) {
    return (
      <Link href={url} target="_blank" rel="noopener noreferrer">
        {fallback ? `${fallback} ↗` : 'GitHub ↗'}
      </Link>
    );
  }
  return fallback ? (
    <span title={fallback}>{deploymentLabel(fallback)}</span>
  ) : (
    <>—</>
  );
}

function Marks({ deployment }: { deployment: DoraDeployment }) {
  const classes = useStyles();
  const marks: ReactNode[] = [];
  if (deployment.failed) {
    marks.push(
      <Chip
        key="failed"
        size="small"
        label="failed"
        className={classes.failed}
        title="Linked to an incident or a rollback, or rolled back in production"
      />,
    );
  }
  if (deployment.rework) {
    marks.push(
      <Chip
        key="rework"
        size="small"
        label="rework"
        className={classes.rework}
        title="Made while an incident of the service was open"
      />,
    );
  }
  return marks.length ? (
    <Box display="flex" style={{ gap: 4 }}>
      {marks}
    </Box>
  ) : null;
}

function serviceColumn<T extends { entityRef: string }>(): TableColumn<T> {
  return {
    title: 'Service',
    render: row => (
      <EntityRefLink entityRef={row.entityRef} title={refName(row.entityRef)} />
    ),
  };
}

const mono = (text: string) => (
  <Typography variant="body2" style={{ fontFamily: 'monospace' }}>
    {text}
  </Typography>
);

/** Times and tokens stay on one line. */
const nowrap = (content: ReactNode) => (
  <span style={{ whiteSpace: 'nowrap' }}>{content}</span>
);

export function deploymentColumns(
  tokenLink: TokenLink,
  withService: boolean,
): TableColumn<DoraDeployment>[] {
  return [
    { title: 'Deployed', render: d => nowrap(formatTime(d.deployedAt)) },
    ...(withService ? [serviceColumn<DoraDeployment>()] : []),
    {
      title: 'Deployment',
      render: d =>
        nowrap(
          <DeploymentLink
            entityRef={d.entityRef}
            token={d.token}
            url={d.url}
            fallback={d.source === 'github' ? undefined : d.id}
            tokenLink={tokenLink}
          />,
        ),
    },
    { title: 'Commit', render: d => mono(shortSha(d.sha)) },
    {
      title: 'Source',
      render: d => (d.source === 'github' ? 'GitHub' : 'portal'),
    },
    {
      title: 'Outcome',
      render: d => {
        if (d.status === 'failure') {
          return d.production
            ? 'failed in production'
            : 'failed before production';
        }
        return 'deployed';
      },
    },
    { title: 'Commits', render: d => String(d.commits) },
    {
      title: 'Lead time (median)',
      render: d =>
        d.leadTimeMedian === undefined
          ? '—'
          : formatDurationMs(d.leadTimeMedian),
    },
    { title: 'Marks', render: d => <Marks deployment={d} /> },
  ];
}

export function commitColumns(
  tokenLink: TokenLink,
  withService: boolean,
): TableColumn<DoraCommit>[] {
  return [
    { title: 'Commit', render: c => mono(shortSha(c.sha)) },
    ...(withService ? [serviceColumn<DoraCommit>()] : []),
    { title: 'Committed', render: c => nowrap(formatTime(c.committedAt)) },
    { title: 'In production', render: c => nowrap(formatTime(c.deployedAt)) },
    { title: 'Lead time', render: c => formatDurationMs(c.leadTime) },
    {
      title: 'Deployment',
      render: c =>
        nowrap(
          <DeploymentLink
            entityRef={c.entityRef}
            token={c.token}
            fallback={c.deploymentId}
            tokenLink={tokenLink}
          />,
        ),
    },
  ];
}

export function incidentColumns(
  tokenLink: TokenLink,
  withService: boolean,
): TableColumn<DoraIncident>[] {
  return [
    {
      title: 'Incident',
      render: i =>
        i.url ? (
          <Link href={i.url} target="_blank" rel="noopener noreferrer">
            {i.title}
          </Link>
        ) : (
          i.title
        ),
    },
    ...(withService ? [serviceColumn<DoraIncident>()] : []),
    { title: 'Started', render: i => nowrap(formatTime(i.startedAt)) },
    {
      title: 'Resolved',
      render: i => nowrap(i.resolvedAt ? formatTime(i.resolvedAt) : 'not yet'),
    },
    {
      title: 'Recovery time',
      render: i =>
        i.recoveryTime === undefined ? '—' : formatDurationMs(i.recoveryTime),
    },
    {
      title: 'Source',
      render: i => (i.source === 'github' ? 'GitHub' : 'portal'),
    },
    {
      title: 'Caused by',
      render: i =>
        i.token || i.deploymentId || i.sha ? (
          <DeploymentLink
            entityRef={i.entityRef}
            token={i.token}
            fallback={i.sha ? shortSha(i.sha) : i.deploymentId}
            tokenLink={tokenLink}
          />
        ) : (
          'unknown'
        ),
    },
  ];
}
