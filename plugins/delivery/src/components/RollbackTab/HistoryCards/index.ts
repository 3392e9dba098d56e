export {
  DecisionsCard,
  IncidentsCard,
  RollbacksHistoryCard,
} from './HistoryCards';
