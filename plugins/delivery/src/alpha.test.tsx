import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import deliveryPlugin, { rollbackEntityContent } from './alpha';

describe('the delivery plugin for the new frontend system', () => {
  it('contributes the Rollback tab at /rollback on delivery services', () => {
    expect(
      deliveryPlugin.getExtension('entity-content:delivery/rollback'),
    ).toBeDefined();
    const tester = createExtensionTester(rollbackEntityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/rollback');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Rollback');
  });
});
