export { DeploymentsTab } from './DeploymentsTab';
