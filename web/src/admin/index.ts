/**
 * Admin view (role admin), one module per panel: patterns (edit JSON, validate inline, save, versions, simulate),
 * all threds (filters, terminate, reset, batch operations, Temporal UI link) and dead letters. Every call's error is
 * shown where the action was taken.
 */
import type { Api } from '../api';
import { clear, h } from '../dom';
import { deadLettersPanel } from './dead-letters';
import { patternsPanel } from './patterns';
import { thredsPanel } from './threds';

export { temporalUrl } from './shared';

export function renderAdmin(main: HTMLElement, api: Api, tab: string): void {
  const tabs: [string, string][] = [
    ['patterns', 'Patterns'],
    ['threds', 'Threds'],
    ['dead-letters', 'Dead letters'],
  ];
  const panel = h('div', { class: 'admin-panel' });
  clear(
    main,
    h('h2', { class: 'visually-hidden' }, 'Administration'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Admin sections' },
      tabs.map(([id, label]) =>
        h('a', { href: `#/admin/${id}`, 'aria-current': id === tab ? 'page' : undefined }, label),
      ),
    ),
    panel,
  );
  if (tab === 'threds') void thredsPanel(panel, api);
  else if (tab === 'dead-letters') void deadLettersPanel(panel, api);
  else void patternsPanel(panel, api);
}
