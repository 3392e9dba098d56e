export { FlagsCard } from './FlagsCard';
