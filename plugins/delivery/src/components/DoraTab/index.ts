export { DoraTab } from './DoraTab';
export { EntityDoraCard } from './EntityDoraCard';
export { GroupDoraCard } from './GroupDoraCard';
export { DoraPage, DoraOrganisationPage } from './DoraPage';
export { isDoraAvailable } from './conditions';
