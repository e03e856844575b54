/** The logged-in participant's threds (GET /threds), most recently active first, and the side list that shows them. */
import { describeError, type Api } from './api';
import { clear, fmtTime, h } from './dom';
import type { ThredView } from './types';

export class ThredList {
  threds: ThredView[] = [];
  private error = '';
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  /** `loaded` runs after every load, failed or not, to redraw whatever shows the list. */
  constructor(
    private readonly api: Api,
    private readonly loaded: () => void,
  ) {}

  async load(): Promise<void> {
    const s = this.api.session;
    if (!s) return;
    try {
      const body = await this.api.call<{ threds: ThredView[] }>(
        'GET',
        `/threds?participant=${encodeURIComponent(s.participantId)}&limit=100`,
      );
      this.threds = body.threds.sort((a, b) => (b.updateTime ?? b.startTime ?? 0) - (a.updateTime ?? a.startTime ?? 0));
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
    this.loaded();
  }

  /** One load after a burst of messages settles, not one per message. */
  refreshSoon(delay = 400): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.load(), delay);
  }

  /** Fills `list` with "All messages" and a link per thred; `current` (null: all messages) is marked as the page. */
  render(list: HTMLElement, current: string | null): void {
    clear(
      list,
      h(
        'li',
        {},
        h(
          'a',
          { href: '#/', class: 'thred-link', 'aria-current': current ? undefined : 'page' },
          h('strong', {}, 'All messages'),
        ),
      ),
      this.threds.map((t) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `#/thred/${encodeURIComponent(t.thredId)}`,
              class: 'thred-link',
              'aria-current': t.thredId === current ? 'page' : undefined,
              'data-thred-id': t.thredId,
            },
            h('strong', {}, t.patternName ?? t.patternId ?? 'thred'),
            h('span', { class: `pill ${t.status ?? ''}` }, t.status ?? '?'),
            h(
              'span',
              { class: 'sub' },
              t.reaction ? `at ${t.reaction}` : 'ended',
              ' · ',
              fmtTime(t.updateTime ?? t.startTime),
            ),
            h('span', { class: 'sub mono' }, t.thredId),
          ),
        ),
      ),
      this.error ? h('li', { class: 'error-box', role: 'alert' }, `Could not load threds: ${this.error}`) : null,
      !this.error && this.threds.length === 0 ? h('li', { class: 'sub' }, 'No threds yet.') : null,
    );
  }
}
