export { PreviewDialog } from './PreviewDialog';
