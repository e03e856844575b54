/** The pattern page (#/pattern/<id>, linked for admins from a thred): the pattern's diagram. */
import type { Api } from './api';
import { diagramPanel } from './diagram';
import { clear, h } from './dom';

export function showPatternPage(main: HTMLElement, api: Api, patternId: string): void {
  const panel = diagramPanel(api, { patternId });
  clear(
    main,
    h(
      'section',
      { class: 'content pattern-page', 'aria-labelledby': 'pattern-title' },
      h('h2', { id: 'pattern-title' }, `Pattern ${patternId}`),
      h('p', { class: 'sub' }, h('a', { href: '#/admin/patterns' }, 'Edit in Admin → Patterns')),
      panel.element,
    ),
  );
}
