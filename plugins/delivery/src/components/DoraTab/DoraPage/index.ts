export { DoraOrganisationPage, DoraPage, defaultGroup } from './DoraPage';
export { TeamsTable } from './TeamsTable';
