import type { IBackend } from '../api';
import { createPager, renderPager } from '../pager';
import { NO_FILTERS } from '../model';
import { backendTitle, createToolbar, debounce, renderToolbar, SEARCH_DEBOUNCE } from '../toolbar';
import { makeJob } from './fixtures/jobs';

const backend = (name: string, extra: Partial<IBackend> = {}): IBackend => ({
  name,
  provider: 'aer',
  num_qubits: 30,
  simulator: true,
  default: false,
  reachable: true,
  detail: null,
  ...extra
});

describe('toolbar', () => {
  it('filters by status and backend through its selects', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    expect(view.toolbar.hasClass('qnb-Toolbar')).toBe(true);
    expect(view.status.classList.contains('qnb-StatusFilter')).toBe(true);
    expect(view.status.parentElement!.classList.contains('jp-select-wrapper')).toBe(true);
    expect(Array.from(view.status.options).map(o => [o.value, o.text])).toEqual([
      ['', 'All statuses'],
      ['QUEUED', 'Queued'],
      ['RUNNING', 'Running'],
      ['DONE', 'Done'],
      ['ERROR', 'Error'],
      ['CANCELLED', 'Cancelled']
    ]);
    renderToolbar(view, { ...NO_FILTERS }, [backend('aer'), backend('manila')]);
    view.status.value = 'DONE';
    view.status.dispatchEvent(new Event('change'));
    view.backend.value = 'manila';
    view.backend.dispatchEvent(new Event('change'));
    view.backend.value = '';
    view.backend.dispatchEvent(new Event('change'));
    expect(handlers.onFilter.mock.calls).toEqual([[{ status: 'DONE' }], [{ backend: 'manila' }], [{ backend: null }]]);
    expect(Array.from(view.toolbar.names())).toEqual(['search', 'status', 'backend', 'view', 'refresh', 'tag', 'owner', 'session']);
  });

  it('shows a session filter as a removable chip, and clears it with ×', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    const filters = { ...NO_FILTERS };
    renderToolbar(view, filters, []);
    expect(view.sessionItem.isHidden).toBe(true);
    expect(view.session.dataset.session).toBeUndefined();

    renderToolbar(view, { ...filters, session: '0123456789ab' }, []);
    expect(view.sessionItem.isHidden).toBe(false);
    expect(view.sessionItem.node.contains(view.session)).toBe(true);
    expect(view.session.classList.contains('qnb-SessionFilter')).toBe(true);
    expect(view.session.dataset.session).toBe('0123456789ab');
    expect(view.session.textContent).toBe('session 0123456789ab×');
    expect(view.session.querySelector('.qnb-SessionId')!.textContent).toBe('0123456789ab');
    expect(view.clearSession.tagName).toBe('BUTTON');
    expect(view.clearSession.getAttribute('aria-label')).toBe('Show jobs of every session');
    expect(view.session.contains(view.clearSession)).toBe(true);

    view.clearSession.click();
    expect(handlers.onFilter.mock.calls).toEqual([[{ session: null }]]);
    renderToolbar(view, filters, []);
    expect(view.sessionItem.isHidden).toBe(true);
    expect(view.session.dataset.session).toBeUndefined();
  });

  it('lists the backends, keeping a filtered one the server no longer has', () => {
    const view = createToolbar({ onFilter: jest.fn(), onRefresh: jest.fn() });
    renderToolbar(view, { ...NO_FILTERS, status: 'ERROR', backend: 'gone' }, [
      backend('aer'),
      backend('fake_manila', { provider: 'ibm-fake', num_qubits: 5, simulator: false, reachable: false })
    ]);
    expect(Array.from(view.backend.options).map(o => [o.value, o.title])).toEqual([
      ['', ''],
      ['aer', 'aer, simulator, 30 qubits'],
      ['fake_manila', 'ibm-fake, hardware, 5 qubits, unreachable'],
      ['gone', '']
    ]);
    expect([view.status.value, view.backend.value]).toEqual(['ERROR', 'gone']);
    renderToolbar(view, { ...NO_FILTERS }, [backend('aer'), backend('fake_manila')]);
    expect(view.backend.options).toHaveLength(3);
    expect([view.status.value, view.backend.value]).toEqual(['', '']);
    const first = view.backend.options[1];
    renderToolbar(view, { ...NO_FILTERS, backend: 'aer' }, [backend('aer'), backend('fake_manila')]);
    expect(view.backend.options[1]).toBe(first); // same names: the options stay
    expect(backendTitle(backend('x', { num_qubits: null }))).toBe('aer, simulator');
    // a remote target says how it is and how long its queue is, on a line of its own
    const target = backend('ionq-sim', {
      provider: 'azure',
      simulator: true,
      num_qubits: 29,
      detail: 'ionq.simulator: Available, average queue 3 s'
    });
    expect(backendTitle(target)).toBe('azure, simulator, 29 qubits\nionq.simulator: Available, average queue 3 s');
    renderToolbar(view, { ...NO_FILTERS }, [backend('aer'), target]);
    expect(view.backend.options[2].title).toMatch(/Available, average queue 3 s$/);
  });
});

describe('debounce', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs the last call once, `wait` ms after the last call', () => {
    const fn = jest.fn();
    const debounced = debounce(fn, 250);
    debounced('b');
    jest.advanceTimersByTime(200);
    debounced('be');
    jest.advanceTimersByTime(200);
    debounced('bell');
    expect(debounced.pending).toBe(true);
    jest.advanceTimersByTime(249);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn.mock.calls).toEqual([['bell']]);
    expect(debounced.pending).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('flushes the waiting call at once, and cancels it', () => {
    const fn = jest.fn();
    const debounced = debounce(fn, 250);
    debounced.flush(); // nothing waits
    expect(fn).not.toHaveBeenCalled();
    debounced('x');
    debounced.flush();
    expect(fn.mock.calls).toEqual([['x']]);
    jest.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
    debounced('y');
    debounced.cancel();
    expect(debounced.pending).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('search box', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    document.body.replaceChildren();
  });

  /** A toolbar (in the page unless `attach` is false: then its `jp-toolbar` element stays inert). */
  function setup(attach = true) {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    if (attach) {
      document.body.appendChild(view.toolbar.node);
    }
    const type = (text: string): void => {
      view.search.value = text;
      view.search.dispatchEvent(new Event('input', { bubbles: true }));
    };
    const key = (key: string): KeyboardEvent => {
      const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
      view.search.dispatchEvent(event);
      return event;
    };
    return { handlers, view, type, key };
  }

  it('is a labelled search box on a line of its own, first in the toolbar', () => {
    const { view } = setup();
    expect(SEARCH_DEBOUNCE).toBe(250);
    expect(view.search.tagName).toBe('INPUT');
    expect(view.search.type).toBe('search');
    expect(view.search.classList.contains('qnb-SearchInput')).toBe(true);
    expect(view.search.getAttribute('aria-label')).toBe('Search jobs by name, id, tag or backend');
    expect(view.search.placeholder).toBe('Search name, id, tag, backend');
    expect(view.search.closest('[role="search"]')).not.toBeNull();
    expect(view.clearSearch.getAttribute('aria-label')).toBe('Clear the search');
    expect(view.clearSearch.hidden).toBe(true);
    expect(view.toolbar.node.firstElementChild!.contains(view.search)).toBe(true);
  });

  it('searches 250 ms after the last keystroke, once, with the trimmed text', () => {
    const { handlers, view, type } = setup();
    type('b');
    jest.advanceTimersByTime(100);
    type('be');
    jest.advanceTimersByTime(100);
    type('bell ');
    expect(view.clearSearch.hidden).toBe(false);
    jest.advanceTimersByTime(SEARCH_DEBOUNCE - 1);
    expect(handlers.onFilter).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(handlers.onFilter.mock.calls).toEqual([[{ q: 'bell' }]]);

    type('');
    jest.advanceTimersByTime(SEARCH_DEBOUNCE);
    expect(handlers.onFilter.mock.calls[1]).toEqual([{ q: null }]);
    expect(view.clearSearch.hidden).toBe(true);
  });

  it('searches at once on Enter, and clears on Escape or with ×', () => {
    const { handlers, view, type, key } = setup();
    type('ghz');
    expect(key('Enter').defaultPrevented).toBe(true);
    expect(handlers.onFilter.mock.calls).toEqual([[{ q: 'ghz' }]]);
    jest.advanceTimersByTime(1000); // the debounced search already ran
    expect(handlers.onFilter).toHaveBeenCalledTimes(1);

    type('ghz-2');
    const escape = key('Escape'); // also drops the waiting search
    expect(escape.defaultPrevented).toBe(true);
    expect(view.search.value).toBe('');
    expect(handlers.onFilter.mock.calls[1]).toEqual([{ q: null }]);
    jest.advanceTimersByTime(1000);
    expect(handlers.onFilter).toHaveBeenCalledTimes(2);
    expect(key('Escape').defaultPrevented).toBe(false); // empty: Escape is not the box's

    type('bell');
    view.search.blur();
    view.clearSearch.click();
    expect(view.search.value).toBe('');
    expect(view.clearSearch.hidden).toBe(true);
    expect(document.activeElement).toBe(view.search);
    expect(handlers.onFilter.mock.calls[2]).toEqual([{ q: null }]);
    jest.advanceTimersByTime(1000);
    expect(handlers.onFilter).toHaveBeenCalledTimes(3);
  });

  it('keeps the arrow keys for the caret, and lets the toolbar have them past the text\'s ends', () => {
    const { view, key } = setup(false); // jsdom's jp-toolbar cannot move the focus
    const toolbarKeys: string[] = [];
    view.toolbar.node.addEventListener('keydown', event => toolbarKeys.push(event.key));
    key('ArrowRight'); // an empty box: on to the filters
    key('ArrowLeft');
    view.search.value = 'bell';
    view.search.setSelectionRange(2, 2);
    key('ArrowLeft');
    key('ArrowRight');
    expect(toolbarKeys).toEqual(['ArrowRight', 'ArrowLeft']);
    view.search.setSelectionRange(0, 4); // a selection: the box's
    key('ArrowRight');
    key('ArrowLeft');
    view.search.setSelectionRange(4, 4);
    key('ArrowRight');
    view.search.setSelectionRange(0, 0);
    key('ArrowLeft');
    key('ArrowDown'); // not the (horizontal) toolbar's, so not stopped either
    expect(toolbarKeys).toEqual(['ArrowRight', 'ArrowLeft', 'ArrowRight', 'ArrowLeft', 'ArrowDown']);
  });

  it('shows the model\'s search text, but never over a search being typed', () => {
    const { handlers, view, type } = setup();
    renderToolbar(view, { ...NO_FILTERS, q: 'bell' }, []);
    expect(view.search.value).toBe('bell');
    expect(view.clearSearch.hidden).toBe(false);

    type('bell stat');
    renderToolbar(view, { ...NO_FILTERS, q: 'bell' }, []); // a tick while typing
    expect(view.search.value).toBe('bell stat');
    jest.advanceTimersByTime(SEARCH_DEBOUNCE);
    expect(handlers.onFilter).toHaveBeenLastCalledWith({ q: 'bell stat' });
    renderToolbar(view, { ...NO_FILTERS, q: 'bell stat' }, []);
    expect(view.search.value).toBe('bell stat');

    type('bell stat ');
    renderToolbar(view, { ...NO_FILTERS, q: null }, []); // changed elsewhere while typing
    expect(view.search.value).toBe('bell stat ');
    jest.advanceTimersByTime(SEARCH_DEBOUNCE);
    renderToolbar(view, NO_FILTERS, []);
    expect(view.search.value).toBe('bell stat '); // what was typed is what is searched next

    view.searchDebounce.cancel();
    renderToolbar(view, { ...NO_FILTERS, q: 'ghz' }, []);
    expect(view.search.value).toBe('ghz');
    renderToolbar(view, NO_FILTERS, []);
    expect(view.search.value).toBe('');
    expect(view.clearSearch.hidden).toBe(true);
  });
});

describe('tag filter and CSV download', () => {
  it('shows a tag filter as a removable chip, and clears it with ×', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn() };
    const view = createToolbar(handlers);
    renderToolbar(view, NO_FILTERS, []);
    expect(view.tagItem.isHidden).toBe(true);
    expect(view.tag.dataset.tag).toBeUndefined();

    renderToolbar(view, { ...NO_FILTERS, tag: 'sweep-7', session: '0123456789ab' }, []);
    expect(view.tagItem.isHidden).toBe(false);
    expect(view.sessionItem.isHidden).toBe(false);
    expect(view.tag.classList.contains('qnb-TagFilter')).toBe(true);
    expect(view.tag.dataset.tag).toBe('sweep-7');
    expect(view.tag.textContent).toBe('tag sweep-7×');
    expect(view.clearTag.tagName).toBe('BUTTON');
    expect(view.clearTag.getAttribute('aria-label')).toBe('Show jobs of every tag');

    view.clearTag.click();
    expect(handlers.onFilter.mock.calls).toEqual([[{ tag: null }]]);
    renderToolbar(view, { ...NO_FILTERS, session: '0123456789ab' }, []);
    expect(view.tagItem.isHidden).toBe(true);
    expect(view.tag.dataset.tag).toBeUndefined();
    expect(view.sessionItem.isHidden).toBe(false);
  });

  it('has a Download CSV button, disabled while an export is on its way', () => {
    const handlers = { onFilter: jest.fn(), onRefresh: jest.fn(), onDownload: jest.fn() };
    const view = createToolbar(handlers);
    const names = ['search', 'status', 'backend', 'view', 'refresh', 'download', 'tag', 'owner', 'session'];
    expect(Array.from(view.toolbar.names())).toEqual(names);
    const download = view.download!;
    download.onClick();
    expect(handlers.onDownload).toHaveBeenCalledTimes(1);
    renderToolbar(view, NO_FILTERS, [], true);
    expect(download.enabled).toBe(false);
    renderToolbar(view, NO_FILTERS, [], false);
    expect(download.enabled).toBe(true);
  });
});

describe('pager', () => {
  const page = (offset: number, shown: number, total: number) => ({
    jobs: Array.from({ length: shown }, () => makeJob()),
    offset,
    limit: 50,
    total
  });

  it('shows the range and enables the buttons that lead somewhere', () => {
    const handlers = { onPrevious: jest.fn(), onNext: jest.fn() };
    const view = createPager(handlers);
    expect(view.toolbar.hasClass('qnb-Pager')).toBe(true);
    const state = () => [view.range.textContent, view.previous.enabled, view.next.enabled];

    renderPager(view, null, false);
    expect(state()).toEqual(['Loading…', false, false]);
    renderPager(view, page(0, 50, 10000), true);
    expect(state()).toEqual(['1–50 of 10,000', false, true]);
    renderPager(view, page(50, 50, 10000), true);
    expect(state()).toEqual(['51–100 of 10,000', true, true]);
    renderPager(view, page(50, 50, 10000), false);
    expect(state()).toEqual(['51–100 of 10,000', false, false]);
    renderPager(view, page(9950, 50, 10000), true);
    expect(state()).toEqual(['9,951–10,000 of 10,000', true, false]);
    renderPager(view, page(0, 0, 0), true);
    expect(state()).toEqual(['0 of 0', false, false]);

    view.previous.onClick();
    view.next.onClick();
    expect([handlers.onPrevious.mock.calls.length, handlers.onNext.mock.calls.length]).toEqual([1, 1]);
  });
});
