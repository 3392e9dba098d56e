import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import WarningIcon from '@material-ui/icons/Warning';
import { Figure } from '../shared';

const useStyles = makeStyles(theme => ({
  tile: {
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(1, 1.5),
    minWidth: 120,
  },
  breach: {
    borderColor: theme.palette.error.main,
    borderWidth: 2,
    color: theme.palette.error.main,
  },
}));

/** The figures of an environment as tiles; a breached one is red, with a warning sign. */
export function FigureTiles({
  environment,
  figures,
}: {
  environment: string;
  figures: Figure[];
}) {
  const classes = useStyles();
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
      {figures.map(f => (
        <Box
          key={f.id}
          className={`${classes.tile} ${f.breach ? classes.breach : ''}`}
          data-testid={`figure-${environment}-${f.id}`}
          data-breach={f.breach ? 'true' : 'false'}
        >
          <Typography variant="caption" color="textSecondary" component="div">
            {f.label}
          </Typography>
          <Typography
            variant="h6"
            component="div"
            color={f.breach ? 'error' : 'textPrimary'}
          >
            {f.breach && (
              <WarningIcon
                fontSize="small"
                titleAccess="threshold breached"
                style={{ verticalAlign: 'middle', marginRight: 4 }}
              />
            )}
            {f.value}
          </Typography>
          {f.limit && (
            <Typography variant="caption" color="textSecondary">
              {f.limit}
            </Typography>
          )}
        </Box>
      ))}
    </Box>
  );
}
