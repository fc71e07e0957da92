// The pager under the jobs table: the rows in view ("1–24 of 10,000") and buttons
// that jump a page (the window of rows the list holds) back or on.
import { caretLeftIcon, caretRightIcon, Toolbar, ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { formatPageRange } from './format';
import type { IJobPage } from './model';

export interface IPagerHandlers {
  onPrevious: () => void;
  onNext: () => void;
}

export interface IPager {
  toolbar: Toolbar;
  range: HTMLElement;
  previous: ToolbarButton;
  next: ToolbarButton;
}

/** `jp-Toolbar.qnb-Pager` with `.qnb-PageRange`, `.qnb-PrevPage` and `.qnb-NextPage`. */
export function createPager(handlers: IPagerHandlers): IPager {
  const range = document.createElement('span');
  range.className = 'qnb-PageRange';
  range.textContent = 'Loading…';
  const previous = new ToolbarButton({
    icon: caretLeftIcon,
    className: 'qnb-PrevPage',
    tooltip: 'Previous page',
    enabled: false,
    onClick: () => handlers.onPrevious()
  });
  const next = new ToolbarButton({
    icon: caretRightIcon,
    className: 'qnb-NextPage',
    tooltip: 'Next page',
    enabled: false,
    onClick: () => handlers.onNext()
  });
  const toolbar = new Toolbar();
  toolbar.addClass('qnb-Pager');
  toolbar.addItem('spacer', Toolbar.createSpacerItem());
  toolbar.addItem('range', new Widget({ node: range }));
  toolbar.addItem('previous', previous);
  toolbar.addItem('next', next);
  return { toolbar, range, previous, next };
}

/**
 * Show the range of the rows in view (`shown`; without it, the page's) and enable
 * the buttons that lead somewhere; both are disabled while the page for new
 * filters or a new offset is on its way.
 */
export function renderPager(
  view: IPager,
  page: IJobPage | null,
  current: boolean,
  shown: { first: number; count: number } | null = null
): void {
  const range = shown && page ? formatPageRange(shown.first, Math.min(shown.count, page.total - shown.first), page.total) : null;
  const text = page ? range ?? formatPageRange(page.offset, page.jobs.length, page.total) : 'Loading…';
  if (view.range.textContent !== text) {
    view.range.textContent = text;
  }
  const ready = !!page && current;
  // with the rows in view known, the arrows lead on from them; otherwise from the window
  const first = shown ? shown.first : page?.offset ?? 0;
  const end = shown ? shown.first + shown.count : (page?.offset ?? 0) + (page?.jobs.length ?? 0);
  setEnabled(view.previous, ready && first > 0);
  setEnabled(view.next, ready && end < page!.total);
}

function setEnabled(button: ToolbarButton, enabled: boolean): void {
  if (button.enabled !== enabled) {
    button.enabled = enabled;
  }
}
