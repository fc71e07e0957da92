// The panel's toolbar: a search box (debounced), the status and backend filters,
// refresh and CSV download buttons, and (while the list shows one tag's or one
// session's jobs) removable tag and session chips.
import { downloadIcon, refreshIcon, searchIcon, Styling, Toolbar, ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { IBackend } from './api';
import { sessionIcon, statusInfo } from './format';
import { JOB_STATUSES, JobStatus } from './job';
import type { IJobFilters } from './model';

export interface IJobsToolbarHandlers {
  onFilter: (filters: Partial<IJobFilters>) => void;
  onRefresh: () => void;
  /** Download the jobs of the current filters as CSV (the button is left out without it). */
  onDownload?: () => void;
}

/** How long the search box waits after the last keystroke before it searches, in ms. */
export const SEARCH_DEBOUNCE = 250;

/** A debounced function: each call restarts the wait; only the last call runs. */
export interface IDebounced<A extends unknown[]> {
  (...args: A): void;
  /** Run the waiting call now (a no-op when none waits). */
  flush(): void;
  /** Drop the waiting call. */
  cancel(): void;
  /** Whether a call waits. */
  readonly pending: boolean;
}

/** Call `fn` `wait` ms after the last call, with that call's arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, wait: number): IDebounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: A | null = null;
  const run = (): void => {
    const args = last;
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = null;
    last = null;
    if (args) {
      fn(...args);
    }
  };
  const debounced = ((...args: A): void => {
    last = args;
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(run, wait);
  }) as IDebounced<A>;
  debounced.flush = run;
  debounced.cancel = () => {
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = null;
    last = null;
  };
  Object.defineProperty(debounced, 'pending', { get: () => timer !== null });
  return debounced;
}

export interface IJobsToolbar {
  toolbar: Toolbar;
  /** `input.qnb-SearchInput[type=search]`: name, id, tag or backend, searched `SEARCH_DEBOUNCE` ms after typing stops. */
  search: HTMLInputElement;
  /** Its ×, `button.qnb-ClearSearch`, shown while the box has text. */
  clearSearch: HTMLButtonElement;
  /** The search waiting for the debounce (Enter runs it at once). */
  searchDebounce: IDebounced<[string]>;
  status: HTMLSelectElement;
  backend: HTMLSelectElement;
  /** `select.qnb-ViewSelect`: Mine (your jobs) or Team (every member of your groups). */
  view: HTMLSelectElement;
  /** The owner filter chip, `.qnb-OwnerFilter[data-owner]`, in `ownerItem`. */
  owner: HTMLElement;
  /** The toolbar item of the owner chip, hidden while no owner filter is set. */
  ownerItem: Widget;
  /** Its ×, `button.qnb-ClearOwnerFilter`. */
  clearOwner: HTMLButtonElement;
  /** `.qnb-DownloadCsvButton`: the jobs of the current filters as qnb-jobs.csv (null without `onDownload`). */
  download: ToolbarButton | null;
  /** The tag filter chip, `.qnb-TagFilter[data-tag]`, in `tagItem`. */
  tag: HTMLElement;
  /** The toolbar item of the tag chip, hidden while no tag filter is set. */
  tagItem: Widget;
  /** Its ×, `button.qnb-ClearTagFilter`: shows the jobs of every tag again. */
  clearTag: HTMLButtonElement;
  /** The session filter chip, `.qnb-SessionFilter[data-session]`, in `sessionItem`. */
  session: HTMLElement;
  /** The toolbar item of the chip, hidden while no session filter is set. */
  sessionItem: Widget;
  /** Its ×, `button.qnb-ClearSessionFilter`: shows the jobs of every session again. */
  clearSession: HTMLButtonElement;
}

const ALL_BACKENDS = 'All backends';

function filterSelect(className: string, label: string, title: string): HTMLSelectElement {
  const select = document.createElement('select');
  select.className = className;
  select.title = title;
  select.setAttribute('aria-label', label);
  return select;
}

/** A toolbar item holding a select in JupyterLab's select wrapper. */
function selectItem(select: HTMLSelectElement): Widget {
  const item = new Widget({ node: Styling.wrapSelect(select) });
  item.addClass('qnb-SelectWrapper');
  return item;
}

/** A toolbar item holding a filter's chip (class `kind`), hidden until the filter is set. */
function chipItem(chip: HTMLElement, kind: string): Widget {
  const item = new Widget({ node: document.createElement('div') });
  item.addClass('qnb-FilterChipItem');
  item.addClass(kind);
  item.node.appendChild(chip);
  item.hide();
  return item;
}

/**
 * A filter's chip: "<word> <value> ×", where the value goes in `value` (filled in
 * by the caller) and × is a button that clears the filter.
 */
function filterChip(
  kind: 'Session' | 'Tag' | 'Owner',
  word: string,
  value: HTMLElement,
  onClear: () => void
): { chip: HTMLElement; clear: HTMLButtonElement } {
  const plural = kind === 'Session' ? 'session' : kind === 'Owner' ? 'user in view' : 'tag';
  const chip = document.createElement('span');
  chip.className = `qnb-Chip qnb-FilterChip qnb-${kind}Filter`;
  const which = { Session: 'of this qnb session', Tag: 'with this tag', Owner: 'of this user' }[kind];
  chip.title = `Only the jobs ${which} are shown`;
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.className = `qnb-ChipRemove qnb-Clear${kind}Filter`;
  clear.title = `Show jobs of every ${plural}`;
  clear.setAttribute('aria-label', clear.title);
  clear.textContent = '×';
  clear.addEventListener('click', onClear);
  const label = document.createElement('span');
  label.textContent = `${word} `;
  chip.append(label, value, clear);
  return { chip, clear };
}

/** The chip of the session filter: "session 0123456789ab ×". */
function sessionChip(onClear: () => void): { chip: HTMLElement; clear: HTMLButtonElement } {
  const id = document.createElement('code');
  id.className = 'qnb-SessionId';
  const made = filterChip('Session', 'session', id, onClear);
  made.chip.prepend(sessionIcon());
  return made;
}

/** The chip of the owner filter: "owner bob ×". */
function ownerFilterChip(onClear: () => void): { chip: HTMLElement; clear: HTMLButtonElement } {
  const name = document.createElement('span');
  name.className = 'qnb-OwnerName';
  return filterChip('Owner', 'owner', name, onClear);
}

/** The chip of the tag filter: "tag sweep-7 ×". */
function tagFilterChip(onClear: () => void): { chip: HTMLElement; clear: HTMLButtonElement } {
  const name = document.createElement('span');
  name.className = 'qnb-TagName';
  return filterChip('Tag', 'tag', name, onClear);
}

/**
 * Whether an arrow key in the text box belongs to the box (moves its caret)
 * rather than to the toolbar, a roving-focus `jp-toolbar` that moves the focus
 * between its items on ArrowLeft and ArrowRight: only past the text's start or
 * end (with nothing selected) does the key go on to the toolbar.
 */
function keepsArrow(input: HTMLInputElement, key: string): boolean {
  if (key !== 'ArrowLeft' && key !== 'ArrowRight') {
    return false;
  }
  const { selectionStart: start, selectionEnd: end } = input;
  if (start === null || end === null || start !== end) {
    return true;
  }
  return key === 'ArrowLeft' ? start > 0 : end < input.value.length;
}

/**
 * The search box: `div.qnb-SearchBox` with a search icon, `input.qnb-SearchInput`
 * and a clear button. Typing searches `SEARCH_DEBOUNCE` ms after the last key;
 * Enter searches at once; Escape (or the ×) clears the search. ArrowRight at the
 * end of the text moves on to the filters, as in the rest of the toolbar.
 */
function searchBox(onSearch: (q: string | null) => void): {
  box: HTMLElement;
  input: HTMLInputElement;
  clear: HTMLButtonElement;
  debounced: IDebounced<[string]>;
} {
  const box = document.createElement('div');
  box.className = 'qnb-SearchBox';
  box.setAttribute('role', 'search');
  const icon = searchIcon.element({ tag: 'span', className: 'qnb-SearchIcon' });
  icon.setAttribute('aria-hidden', 'true');
  const input = document.createElement('input');
  input.type = 'search';
  input.className = 'qnb-SearchInput';
  input.placeholder = 'Search name, id, tag, backend';
  input.title = 'Search jobs by name, id, tag or backend';
  input.setAttribute('aria-label', 'Search jobs by name, id, tag or backend');
  input.spellcheck = false;
  input.autocomplete = 'off';
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.className = 'qnb-ChipRemove qnb-ClearSearch';
  clear.title = 'Clear the search';
  clear.setAttribute('aria-label', 'Clear the search');
  clear.textContent = '×';
  clear.hidden = true;

  const debounced = debounce((text: string) => onSearch(text.trim() || null), SEARCH_DEBOUNCE);
  const reset = (): void => {
    debounced.cancel();
    input.value = '';
    clear.hidden = true;
    onSearch(null);
  };
  input.addEventListener('input', () => {
    clear.hidden = !input.value;
    debounced(input.value);
  });
  input.addEventListener('keydown', event => {
    if (keepsArrow(input, event.key)) {
      event.stopPropagation(); // move the caret, not the toolbar's focus
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (debounced.pending) {
        debounced.flush();
      } else {
        onSearch(input.value.trim() || null);
      }
    } else if (event.key === 'Escape' && input.value) {
      event.preventDefault();
      event.stopPropagation();
      reset();
    }
  });
  clear.addEventListener('click', () => {
    reset();
    input.focus();
  });
  box.append(icon, input, clear);
  return { box, input, clear, debounced };
}

/**
 * `jp-Toolbar.qnb-Toolbar` with the search box `input.qnb-SearchInput` (on a line of
 * its own), `select.qnb-StatusFilter`, `select.qnb-BackendFilter`, refresh and
 * `.qnb-DownloadCsvButton` buttons, and (each on a line of its own, shown while
 * filtering by tag or session) the `.qnb-TagFilter` and `.qnb-SessionFilter` chips.
 */
export function createToolbar(handlers: IJobsToolbarHandlers): IJobsToolbar {
  const { box, input: search, clear: clearSearch, debounced: searchDebounce } = searchBox(q =>
    handlers.onFilter({ q })
  );
  const searchItem = new Widget({ node: box });
  searchItem.addClass('qnb-SearchItem');

  const status = filterSelect('qnb-StatusFilter', 'Status filter', 'Show jobs with this status');
  status.append(new Option('All statuses', ''), ...JOB_STATUSES.map(s => new Option(statusInfo(s).label, s)));
  status.addEventListener('change', () => handlers.onFilter({ status: (status.value || null) as JobStatus | null }));

  const backend = filterSelect('qnb-BackendFilter', 'Backend filter', 'Show jobs on this backend');
  backend.append(new Option(ALL_BACKENDS, ''));
  backend.addEventListener('change', () => handlers.onFilter({ backend: backend.value || null }));

  const view = filterSelect('qnb-ViewSelect', 'Whose jobs', 'Your jobs, or those of every member of your groups');
  view.append(new Option('Mine', ''), new Option('Team', '1'));
  view.addEventListener('change', () => handlers.onFilter({ team: view.value || null, owner: null }));

  const { chip: owner, clear: clearOwner } = ownerFilterChip(() => {
    if (owner.contains(document.activeElement)) {
      view.focus();
    }
    handlers.onFilter({ owner: null });
  });
  const ownerItem = chipItem(owner, 'qnb-OwnerFilterItem');

  // a chip goes away with its filter: leave the focus in the toolbar
  const { chip: tag, clear: clearTag } = tagFilterChip(() => {
    if (tag.contains(document.activeElement)) {
      search.focus();
    }
    handlers.onFilter({ tag: null });
  });
  const tagItem = chipItem(tag, 'qnb-TagFilterItem');

  const { chip: session, clear: clearSession } = sessionChip(() => {
    if (session.contains(document.activeElement)) {
      status.focus();
    }
    handlers.onFilter({ session: null });
  });
  const sessionItem = chipItem(session, 'qnb-SessionFilterItem');

  const toolbar = new Toolbar();
  toolbar.addClass('qnb-Toolbar');
  toolbar.addItem('search', searchItem);
  toolbar.addItem('status', selectItem(status));
  toolbar.addItem('backend', selectItem(backend));
  toolbar.addItem('view', selectItem(view));
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      className: 'qnb-RefreshButton',
      tooltip: 'Refresh',
      onClick: () => handlers.onRefresh()
    })
  );
  let download: ToolbarButton | null = null;
  if (handlers.onDownload) {
    const onDownload = handlers.onDownload;
    download = new ToolbarButton({
      icon: downloadIcon,
      className: 'qnb-DownloadCsvButton',
      tooltip: 'Download CSV: the jobs of these filters, every page (qnb-jobs.csv)',
      onClick: () => onDownload()
    });
    toolbar.addItem('download', download);
  }
  toolbar.addItem('tag', tagItem);
  toolbar.addItem('owner', ownerItem);
  toolbar.addItem('session', sessionItem);
  return {
    toolbar,
    search,
    clearSearch,
    searchDebounce,
    status,
    backend,
    view,
    owner,
    ownerItem,
    clearOwner,
    download,
    tag,
    tagItem,
    clearTag,
    session,
    sessionItem,
    clearSession
  };
}

/**
 * "aer, simulator, 30 qubits": the tooltip of a backend option, then on a line of its
 * own what the backend said of itself (a remote target's availability and average
 * queue time, or why it cannot be reached).
 */
export function backendTitle(backend: IBackend): string {
  const bits = [backend.provider, backend.simulator ? 'simulator' : 'hardware'];
  if (backend.num_qubits) {
    bits.push(`${backend.num_qubits} qubits`);
  }
  if (!backend.reachable) {
    bits.push('unreachable');
  }
  const detail = backend.detail?.trim();
  return detail ? `${bits.join(', ')}\n${detail}` : bits.join(', ');
}

/**
 * Show the filters; the backend options are rebuilt only when their names change.
 * The search box takes the model's search text only when it changed there and no
 * typed search waits, so a tick never overwrites what is being typed.
 */
export function renderToolbar(
  view: IJobsToolbar,
  filters: IJobFilters,
  backends: readonly IBackend[],
  exporting = false
): void {
  const names = backends.map(b => b.name);
  if (filters.backend && !names.includes(filters.backend)) {
    names.push(filters.backend);
  }
  const select = view.backend;
  const shown = Array.from(select.options)
    .slice(1)
    .map(o => o.value);
  if (shown.join('\n') !== names.join('\n')) {
    select.replaceChildren(new Option(ALL_BACKENDS, ''), ...names.map(name => new Option(name, name)));
  }
  for (const option of Array.from(select.options).slice(1)) {
    const backend = backends.find(b => b.name === option.value);
    option.title = backend ? backendTitle(backend) : '';
  }
  setValue(select, filters.backend ?? '');
  setValue(view.status, filters.status ?? '');
  setValue(view.view, filters.team ?? '');

  const q = filters.q ?? '';
  if (view.search.dataset.q !== q) {
    view.search.dataset.q = q;
    if (!view.searchDebounce.pending && view.search.value.trim() !== q) {
      view.search.value = q;
    }
  }
  if (view.clearSearch.hidden === !!view.search.value) {
    view.clearSearch.hidden = !view.search.value;
  }

  renderChip(view.tag, view.tagItem, 'tag', '.qnb-TagName', filters.tag ?? '');
  renderChip(view.session, view.sessionItem, 'session', '.qnb-SessionId', filters.session ?? '');
  renderChip(view.owner, view.ownerItem, 'owner', '.qnb-OwnerName', filters.owner ?? '');

  if (view.download && view.download.enabled === exporting) {
    view.download.enabled = !exporting;
  }
}

/** Show a filter chip (with `value` in `data-<key>` and its text node) or hide it. */
function renderChip(chip: HTMLElement, item: Widget, key: string, textSelector: string, value: string): void {
  if ((chip.dataset[key] ?? '') !== value) {
    if (value) {
      chip.dataset[key] = value;
    } else {
      delete chip.dataset[key];
    }
    chip.querySelector(textSelector)!.textContent = value;
  }
  if (item.isHidden === !!value) {
    item.setHidden(!value);
  }
}

function setValue(select: HTMLSelectElement, value: string): void {
  if (select.value !== value) {
    select.value = value;
  }
}
