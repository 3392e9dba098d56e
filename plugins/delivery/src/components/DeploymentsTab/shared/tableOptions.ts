import { TableOptions } from '@backstage/core-components';

/** The tab's tables are short lists inside cards: no paging, search or toolbar, dense rows. */
export const CARD_TABLE_OPTIONS: TableOptions<object> = {
  paging: false,
  search: false,
  toolbar: false,
  padding: 'dense',
};
