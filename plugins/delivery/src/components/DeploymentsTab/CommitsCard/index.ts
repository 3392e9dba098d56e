export { CommitsCard } from './CommitsCard';
