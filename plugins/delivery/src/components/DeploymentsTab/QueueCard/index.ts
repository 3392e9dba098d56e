export { QueueCard } from './QueueCard';
