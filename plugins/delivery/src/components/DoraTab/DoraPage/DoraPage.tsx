import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  Content,
  EmptyState,
  Header,
  Page,
  Progress,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { DoraGroup, useGroups } from '../../../hooks/useDora';
import { RetryAlert } from '../../RollbackTab/shared';
import { DoraMetricsView } from '../DoraMetricsView';
import { PeriodSelector } from '../PeriodSelector';
import { DEFAULT_WEEKS, periodOf } from '../shared';
import { TeamsTable } from './TeamsTable';

/**
 * The group shown first: the one named in `?group=`, else the organisation (a Group of
 * spec.type `organization`), else a group without a parent, else the first.
 */
export function defaultGroup(
  groups: DoraGroup[],
  asked: string | null,
): DoraGroup | undefined {
  const wanted = asked?.toLocaleLowerCase('en-US');
  return (
    (wanted &&
      groups.find(
        g =>
          g.ref.toLocaleLowerCase('en-US') === wanted ||
          g.name.toLocaleLowerCase('en-US') === wanted,
      )) ||
    groups.find(g => g.type === 'organization') ||
    groups.find(g => !g.parent) ||
    groups[0]
  );
}

/**
 * DORA for the organisation: a group picker over the catalog's Groups (the organisation by
 * default, or `?group=`), the group's KPI cards rolled up over everything it and its sub-teams
 * own, and a table of its teams with their four keys and tiers.
 */
export function DoraOrganisationPage() {
  const groups = useGroups();
  const [params, setParams] = useSearchParams();
  const [weeks, setWeeks] = useState(DEFAULT_WEEKS);
  const period = useMemo(() => periodOf(weeks), [weeks]);
  const selected = groups.value
    ? defaultGroup(groups.value, params.get('group'))
    : undefined;
  const scope = useMemo(
    () =>
      selected ? { kind: 'group' as const, ref: selected.ref } : undefined,
    [selected],
  );

  if (groups.error) {
    return (
      <RetryAlert
        title="Could not read the groups from the catalog"
        error={groups.error}
        onRetry={groups.retry}
      />
    );
  }
  if (!groups.value) return <Progress />;
  if (!selected || !scope) {
    return (
      <EmptyState
        missing="data"
        title="No groups in the catalog"
        description="DORA's figures are rolled up over the services a group owns: register your organisation's Groups (kind Group) in the catalog."
      />
    );
  }

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 16 }}
        mb={2}
      >
        <TextField
          select
          id="dora-group"
          label="Group"
          variant="outlined"
          size="small"
          value={selected.ref}
          style={{ minWidth: 260 }}
          onChange={event => setParams({ group: event.target.value })}
        >
          {groups.value.map(g => (
            <MenuItem key={g.ref} value={g.ref}>
              {g.title}
              {g.type ? ` (${g.type})` : ''}
            </MenuItem>
          ))}
        </TextField>
        <Box flexGrow={1} />
        <PeriodSelector weeks={weeks} onChange={setWeeks} />
      </Box>
      <DoraMetricsView scope={scope} period={period} label={period.label} />
      <Box mt={3}>
        <TeamsTable group={selected} groups={groups.value} period={period} />
      </Box>
    </Box>
  );
}

/**
 * The DORA organisation page for legacy apps, with its own header: mount it on a route bound to
 * `deliveryPlugin.routes.dora` (e.g. `/dora`). New-system apps get it from the plugin.
 */
export function DoraPage() {
  return (
    <Page themeId="tool">
      <Header
        title="DORA"
        subtitle="Delivery performance of the organisation and its teams"
      />
      <Content>
        <DoraOrganisationPage />
      </Content>
    </Page>
  );
}
