import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Register the new service's workload, from the manifests fetch:template rendered into ./k8s, in every delivery environment",
    example: yaml.stringify({
      steps: [
        {
          id: 'environments',
          action: 'delivery:environments:register',
          name: 'Register the workload in every environment',
          input: {
            entityRef: 'component:default/${{ parameters.name }}',
            manifestsPath: 'k8s',
          },
        },
      ],
    }),
  },
  {
    description: 'Register only the Deployment and Service files of a service',
    example: yaml.stringify({
      steps: [
        {
          id: 'environments',
          action: 'delivery:environments:register',
          name: 'Register the workload',
          input: {
            entityRef: 'component:default/inventory-service',
            manifestsPath: 'deploy/kubernetes',
            files: ['deployment.yaml', 'service.yaml'],
          },
        },
      ],
    }),
  },
];
