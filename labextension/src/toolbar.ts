// The panel's toolbar: the status and backend filters, a refresh button, and
// (while the list shows one session's jobs) a removable session chip.
import { refreshIcon, Styling, Toolbar, ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { IBackend } from './api';
import { sessionIcon, statusInfo } from './format';
import { JOB_STATUSES, JobStatus } from './job';
import type { IJobFilters } from './model';

export interface IJobsToolbarHandlers {
  onFilter: (filters: Partial<IJobFilters>) => void;
  onRefresh: () => void;
}

export interface IJobsToolbar {
  toolbar: Toolbar;
  status: HTMLSelectElement;
  backend: HTMLSelectElement;
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

/**
 * The chip of the session filter: "session 0123456789ab ×", where × is a button
 * that clears the filter.
 */
function sessionChip(onClear: () => void): { chip: HTMLElement; clear: HTMLButtonElement } {
  const chip = document.createElement('span');
  chip.className = 'qnb-Chip qnb-SessionFilter';
  chip.title = 'Only the jobs of this qnb session are shown';
  const id = document.createElement('code');
  id.className = 'qnb-SessionId';
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.className = 'qnb-ChipRemove qnb-ClearSessionFilter';
  clear.title = 'Show jobs of every session';
  clear.setAttribute('aria-label', 'Show jobs of every session');
  clear.textContent = '×';
  clear.addEventListener('click', onClear);
  const label = document.createElement('span');
  label.textContent = 'session ';
  chip.append(sessionIcon(), label, id, clear);
  return { chip, clear };
}

/**
 * `jp-Toolbar.qnb-Toolbar` with `select.qnb-StatusFilter`, `select.qnb-BackendFilter`,
 * a refresh button and (on a line of its own, shown while filtering by session)
 * the `.qnb-SessionFilter` chip.
 */
export function createToolbar(handlers: IJobsToolbarHandlers): IJobsToolbar {
  const status = filterSelect('qnb-StatusFilter', 'Status filter', 'Show jobs with this status');
  status.append(new Option('All statuses', ''), ...JOB_STATUSES.map(s => new Option(statusInfo(s).label, s)));
  status.addEventListener('change', () => handlers.onFilter({ status: (status.value || null) as JobStatus | null }));

  const backend = filterSelect('qnb-BackendFilter', 'Backend filter', 'Show jobs on this backend');
  backend.append(new Option(ALL_BACKENDS, ''));
  backend.addEventListener('change', () => handlers.onFilter({ backend: backend.value || null }));

  const { chip: session, clear: clearSession } = sessionChip(() => {
    // the chip goes away with the filter: leave the focus in the toolbar
    if (session.contains(document.activeElement)) {
      status.focus();
    }
    handlers.onFilter({ session: null });
  });
  const sessionItem = new Widget({ node: document.createElement('div') });
  sessionItem.addClass('qnb-SessionFilterItem');
  sessionItem.node.appendChild(session);
  sessionItem.hide();

  const toolbar = new Toolbar();
  toolbar.addClass('qnb-Toolbar');
  toolbar.addItem('status', selectItem(status));
  toolbar.addItem('backend', selectItem(backend));
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      className: 'qnb-RefreshButton',
      tooltip: 'Refresh',
      onClick: () => handlers.onRefresh()
    })
  );
  toolbar.addItem('session', sessionItem);
  return { toolbar, status, backend, session, sessionItem, clearSession };
}

/** "aer, simulator, 30 qubits": the tooltip of a backend option. */
export function backendTitle(backend: IBackend): string {
  const bits = [backend.provider, backend.simulator ? 'simulator' : 'hardware'];
  if (backend.num_qubits) {
    bits.push(`${backend.num_qubits} qubits`);
  }
  if (!backend.reachable) {
    bits.push('unreachable');
  }
  return bits.join(', ');
}

/** Show the filters; the backend options are rebuilt only when their names change. */
export function renderToolbar(view: IJobsToolbar, filters: IJobFilters, backends: readonly IBackend[]): void {
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

  const session = filters.session ?? '';
  if ((view.session.dataset.session ?? '') !== session) {
    if (session) {
      view.session.dataset.session = session;
    } else {
      delete view.session.dataset.session;
    }
    view.session.querySelector('.qnb-SessionId')!.textContent = session;
  }
  if (view.sessionItem.isHidden === !!session) {
    view.sessionItem.setHidden(!session);
  }
}

function setValue(select: HTMLSelectElement, value: string): void {
  if (select.value !== value) {
    select.value = value;
  }
}
