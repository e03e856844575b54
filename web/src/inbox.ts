/**
 * The messages view: #/ (every message) and #/thred/<id> (one thred, with its diagram, broadcast form and, for admins,
 * the what-if panel), beside the list of the participant's threds. Messages arriving live go on top of the feed when
 * they belong to it, and to a toast when they do not.
 */
import type { Api } from './api';
import { broadcastForm } from './broadcast';
import { answeredMap, markAnswered } from './answered';
import { diagramPanel, type DiagramPanel } from './diagram';
import { clear, h, toast } from './dom';
import { newEventId, type Live } from './live';
import { renderMessage } from './render';
import { ThredList } from './thred-list';
import type { Message, Template } from './types';
import { whatIfPanel } from './what-if';

export class Inbox {
  /** The open view's parts; null while another view (login, admin, pattern) is shown. */
  private view: { feed: HTMLElement; list: HTMLElement; thredId: string | null } | null = null;
  /** The diagram on the open thred page, redrawn as the thred's messages arrive. */
  private diagram: DiagramPanel | null = null;
  private readonly threds: ThredList;

  /** `live` is read when needed: the connection is replaced when another participant logs in. */
  constructor(
    private readonly main: HTMLElement,
    private readonly api: Api,
    private readonly live: () => Live | null,
  ) {
    this.threds = new ThredList(api, () => {
      if (this.view?.list.isConnected) this.threds.render(this.view.list, this.view.thredId);
    });
  }

  /** Another view takes the page: live messages become toasts. */
  close(): void {
    this.view = null;
  }

  onMessage(m: Message): void {
    this.threds.refreshSoon();
    const { diagram, view } = this;
    if (diagram?.element.isConnected && diagram.thredId === m.event.thredId) diagram.refresh();
    if (!view || !view.feed.isConnected) {
      toast(`New message: ${m.event.data?.title ?? m.event.type}`);
      return;
    }
    if (view.thredId && m.event.thredId !== view.thredId) {
      toast(`New message in thred ${m.event.thredId ?? ''}: ${m.event.data?.title ?? m.event.type}`);
      return;
    }
    view.feed.querySelector('.empty')?.remove();
    view.feed.prepend(this.card(m));
  }

  /** Shows every message (`thredId` null) or one thred's. */
  show(thredId: string | null): void {
    const { api } = this;
    const list = h('ul', { class: 'threds plain', 'aria-label': 'Your threds' });
    const feed = h('div', { class: 'feed', 'aria-live': 'polite', 'aria-relevant': 'additions' });
    this.view = { feed, list, thredId };
    this.threds.render(list, thredId);
    const msgs = (this.live()?.store.all() ?? []).filter((m) => !thredId || m.event.thredId === thredId).reverse();
    if (msgs.length === 0)
      feed.append(
        h(
          'p',
          { class: 'empty sub' },
          thredId ? 'No messages in this thred yet.' : 'No messages yet. New ones appear here as they arrive.',
        ),
      );
    else feed.append(...msgs.map((m) => this.card(m)));

    const thred = thredId ? this.threds.threds.find((t) => t.thredId === thredId) : undefined;
    this.diagram = thredId ? diagramPanel(api, { thredId }) : null;
    clear(
      this.main,
      h(
        'div',
        { class: 'layout' },
        h(
          'aside',
          { class: 'side', 'aria-labelledby': 'threds-title' },
          h(
            'div',
            { class: 'row' },
            h('h2', { id: 'threds-title' }, 'Threds'),
            h('button', { type: 'button', class: 'link', onclick: () => void this.threds.load() }, 'Refresh'),
          ),
          list,
        ),
        h(
          'section',
          { class: 'content', 'aria-labelledby': 'feed-title' },
          h('h2', { id: 'feed-title' }, thredId ? `Thred ${thredId}` : 'Messages'),
          thred
            ? h(
                'p',
                { class: 'sub' },
                `${thred.patternName ?? thred.patternId ?? ''} · ${thred.status ?? ''}${thred.reaction ? ` · at ${thred.reaction}` : ''}`,
              )
            : null,
          thredId && thred?.status !== 'terminated' ? broadcastForm(api, this.live, thredId) : null,
          thred?.patternId && api.session?.roles.includes('admin')
            ? h(
                'p',
                { class: 'sub' },
                h('a', { href: `#/pattern/${encodeURIComponent(thred.patternId)}` }, `Pattern ${thred.patternId}`),
              )
            : null,
          this.diagram?.element ?? null,
          thredId && api.session?.roles.includes('admin') ? whatIfPanel(api, thredId) : null,
          feed,
        ),
      ),
    );
    void this.threds.load();
  }

  /** A message's card; answering a prompt sends the answer as the event its advice asks for. */
  private card(m: Message): HTMLElement {
    const { api } = this;
    const s = api.session;
    return renderMessage(m, {
      me: s?.participantId ?? '',
      answered: answeredMap(s?.participantId ?? '')[m.id],
      openThred: (id) => (location.hash = `#/thred/${encodeURIComponent(id)}`),
      answer: async (values, display) => {
        const e = m.event;
        const ack = await this.live()!.send({
          id: newEventId(),
          type: e.data?.advice?.eventType ?? 'org.wt.client.tell',
          thredId: e.thredId,
          re: e.id,
          source: { id: s?.participantId ?? '' },
          time: Date.now(),
          data: { content: { type: (e.data?.advice?.template as Template | undefined)?.name, values } },
        });
        markAnswered(api.session?.participantId ?? '', m.id, display);
        if (ack.refused.length) toast(`Answer accepted with refusals: ${JSON.stringify(ack.refused)}`, 'error');
        this.threds.refreshSoon(100);
      },
    });
  }
}
