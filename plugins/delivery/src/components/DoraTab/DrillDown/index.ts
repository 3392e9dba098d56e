export { DrillDownDialog } from './DrillDownDialog';
