import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Before anything is made: the chosen owner is a team in the catalog, and the person running the template is one of its members',
    example: yaml.stringify({
      steps: [
        {
          id: 'validate-owner',
          action: 'delivery:owner:validate',
          name: 'Check the owner',
          input: { owner: '${{ parameters.owner }}' },
        },
      ],
    }),
  },
];
