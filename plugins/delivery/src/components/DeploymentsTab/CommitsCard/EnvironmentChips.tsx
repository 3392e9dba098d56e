import Chip from '@material-ui/core/Chip';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';

/** The environments currently running the given commit, as small chips. */
export function EnvironmentChips({ commitSha }: { commitSha: string }) {
  const environments = useDeliveryContext().environments.value?.environments;
  const running = (environments ?? []).filter(
    e => e.version?.commitSha === commitSha,
  );
  if (running.length === 0) return null;
  return (
    <span aria-label="Running in">
      {running.map(e => (
        <Chip
          key={e.environment}
          label={e.environment}
          size="small"
          color={e.environment === 'production' ? 'primary' : 'default'}
          style={{ marginRight: 4 }}
        />
      ))}
    </span>
  );
}
