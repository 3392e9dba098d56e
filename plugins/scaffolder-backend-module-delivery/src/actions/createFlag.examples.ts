import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Create the new service's first flag, off in every environment, once the service is in the catalog",
    example: yaml.stringify({
      steps: [
        {
          id: 'flag',
          action: 'delivery:flags:create',
          name: 'Create the first feature flag',
          input: {
            entityRef: 'component:default/${{ parameters.name }}',
            key: '${{ parameters.flagKey }}',
            description: 'The first feature of ${{ parameters.name }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Create a flag tied to a change ticket, waiting up to 5 minutes for the catalog',
    example: yaml.stringify({
      steps: [
        {
          id: 'flag',
          action: 'delivery:flags:create',
          name: 'Create the checkout flag',
          input: {
            entityRef: 'component:default/checkout-web',
            key: 'one-page-checkout',
            description: 'Checkout on a single page',
            change: 'SHOP-311',
            waitForCatalogSeconds: 300,
          },
        },
      ],
    }),
  },
];
