export { DeploymentDetails } from './DeploymentDetails';
export { DeploymentStatusLabel } from './DeploymentStatusLabel';
