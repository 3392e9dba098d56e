import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { Entity } from '@backstage/catalog-model';
import deliveryPlugin, {
  doraEntityCard,
  doraEntityContent,
  doraPage,
  environmentsEntityContent,
  groupDoraEntityCard,
  rollbackEntityContent,
} from './alpha';
import { doraRouteRef } from './routes';

const component = (annotations: Record<string, string> = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'api', annotations },
});
/** The filter an entity content or card extension outputs. */
function filterOf(filter: ((entity: Entity) => boolean) | undefined) {
  if (!filter) throw new Error('the extension outputs no filter function');
  return filter;
}

const group: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-payments' },
};

describe('the delivery plugin for the new frontend system', () => {
  it('contributes the Rollback tab at /rollback on delivery services', () => {
    expect(
      deliveryPlugin.getExtension('entity-content:delivery/rollback'),
    ).toBeDefined();
    const tester = createExtensionTester(rollbackEntityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/rollback');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Rollback');
  });

  it('contributes the Environments tab at /environments on delivery services', () => {
    expect(
      deliveryPlugin.getExtension('entity-content:delivery/environments'),
    ).toBeDefined();
    const tester = createExtensionTester(environmentsEntityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/environments');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'Environments',
    );
    const filter = filterOf(
      tester.get(EntityContentBlueprint.dataRefs.filterFunction),
    );
    expect(
      filter(
        component({
          'github.com/project-slug': 'acme/api',
          'backstage.io/kubernetes-id': 'api',
        }),
      ),
    ).toBe(true);
    expect(filter(component({ 'github.com/project-slug': 'acme/api' }))).toBe(
      false,
    );
    expect(filter(group)).toBe(false);
  });

  it('contributes the DORA tab and overview card on components with a GitHub repository', () => {
    const tab = createExtensionTester(doraEntityContent);
    expect(tab.get(coreExtensionData.routePath)).toBe('/dora');
    expect(tab.get(EntityContentBlueprint.dataRefs.title)).toBe('DORA');
    const tabFilter = filterOf(
      tab.get(EntityContentBlueprint.dataRefs.filterFunction),
    );
    expect(
      tabFilter(component({ 'github.com/project-slug': 'acme/api' })),
    ).toBe(true);
    expect(tabFilter(component())).toBe(false);
    expect(tabFilter(group)).toBe(false);

    const card = createExtensionTester(doraEntityCard);
    const cardFilter = filterOf(
      card.get(EntityCardBlueprint.dataRefs.filterFunction),
    );
    expect(
      cardFilter(component({ 'github.com/project-slug': 'acme/api' })),
    ).toBe(true);
    expect(cardFilter(group)).toBe(false);
    expect(
      deliveryPlugin.getExtension('entity-card:delivery/dora'),
    ).toBeDefined();
  });

  it('contributes the group card on Group pages only', () => {
    const card = createExtensionTester(groupDoraEntityCard);
    const filter = filterOf(
      card.get(EntityCardBlueprint.dataRefs.filterFunction),
    );
    expect(filter(group)).toBe(true);
    expect(filter(component({ 'github.com/project-slug': 'acme/api' }))).toBe(
      false,
    );
    expect(
      deliveryPlugin.getExtension('entity-card:delivery/group-dora'),
    ).toBeDefined();
  });

  it('contributes the DORA page at /dora, titled for the sidebar', () => {
    expect(deliveryPlugin.getExtension('page:delivery/dora')).toBeDefined();
    const page = createExtensionTester(doraPage);
    expect(page.get(coreExtensionData.routePath)).toBe('/dora');
    expect(page.get(coreExtensionData.routeRef)).toBe(doraRouteRef);
    expect(page.get(coreExtensionData.title)).toBe('DORA');
    expect(page.get(coreExtensionData.icon)).toBeDefined();
  });
});
