// The jobs table as a virtualised list. The table holds only the window of rows
// the model fetched (jobs offset..offset+n of total); a spacer above and one
// below stand for the other jobs at the rows' measured height, so the scrollbar
// spans the whole list, 100,000 jobs or more. Scrolling near the window's edge
// asks the model for the window around what is shown, and the row at the top of
// the view stays where it is when the window moves or new jobs arrive above it.
import type { IJobPage } from './model';
import { COLUMNS, IJobTable } from './table';

/** Rows fetched at least (the model's page size). */
export const MIN_WINDOW = 50;
/** Rows fetched at most (the REST API allows 500). */
export const MAX_WINDOW = 200;
/** The row height assumed until one is measured, in px. */
export const DEFAULT_ROW_HEIGHT = 26;
/** At most one window request per this many ms while scrolling (the last one always goes). */
export const REQUEST_GAP = 100;
/**
 * The tallest the spacers may make the list, in px: browsers cap an element's height
 * (Firefox near 17.9 million px), so past this a job outside the window stands for less
 * than a row's height and the scrollbar still reaches the end.
 */
export const MAX_LIST_PX = 10_000_000;

/** The px a job outside the window stands for: the row height, or less for a huge list. */
export function spacerUnit(estimate: number, total: number): number {
  return total * estimate > MAX_LIST_PX ? MAX_LIST_PX / total : estimate;
}

/** What the table holds: `count` jobs from `offset` (of `limit` asked for), of `total`. */
export interface IWindow {
  offset: number;
  count: number;
  limit: number;
  total: number;
}

/** Rows to fetch for a view of `visible` rows: three views' worth, within bounds. */
export function windowSize(visible: number): number {
  return Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, 3 * Math.ceil(visible)));
}

/**
 * The offset of the window to fetch so that rows `first`..`last` (shown now) sit
 * in its middle, or null when the current window still has a quarter of the
 * spare rows on each side of them (or reaches the end of the list there).
 */
export function nextOffset(first: number, last: number, current: IWindow, size: number): number | null {
  const shown = last - first + 1;
  const spare = Math.max(0, size - shown);
  const margin = Math.floor(spare / 4);
  const end = current.offset + current.count;
  const roomAbove = current.offset === 0 || first - current.offset >= margin;
  const roomBelow = end >= current.total || end - 1 - last >= margin;
  if (first >= current.offset && last < end && roomAbove && roomBelow && size <= current.limit) {
    return null;
  }
  const wanted = Math.max(0, Math.min(first - Math.floor(spare / 2), current.total - size));
  return wanted === current.offset && size <= current.limit ? null : wanted;
}

/**
 * The index of the job at `y` px from the top of the list's body, for a window
 * drawn as a spacer of `offset * estimate` px, rows of `heights`, then a spacer.
 */
export function rowAt(y: number, win: IWindow, heights: readonly number[], estimate: number): number {
  const last = Math.max(0, win.total - 1);
  const top = win.offset * estimate;
  if (y < top) {
    return Math.min(last, Math.max(0, Math.floor(y / estimate)));
  }
  let at = top;
  for (let k = 0; k < heights.length; k++) {
    at += heights[k];
    if (y < at) {
      return win.offset + k;
    }
  }
  return Math.min(last, win.offset + heights.length + Math.floor((y - at) / estimate));
}

export interface IVirtualRowsOptions {
  /** The scrolling element around the table. */
  scroller: HTMLElement;
  table: IJobTable;
  /** Fetch `size` jobs from `offset` (the model's `setWindow`). */
  onWindow: (offset: number, size: number) => void;
  /** The rows in view changed: the first one's index and how many (for the range shown). */
  onVisible: () => void;
}

/**
 * Keeps the table's spacers, the scroll position and the model's window in step.
 * `render` draws a page (through the caller's row renderer); scrolling calls `onWindow`.
 */
export class VirtualRows {
  constructor(options: IVirtualRowsOptions) {
    this._scroller = options.scroller;
    this._table = options.table;
    this._onWindow = options.onWindow;
    this._onVisible = options.onVisible;
    const doc = this._table.table.ownerDocument;
    this._top = spacer(doc);
    this._bottom = spacer(doc);
    this._table.table.insertBefore(this._top.body, this._table.tbody);
    this._table.table.appendChild(this._bottom.body);
    this._scroller.addEventListener('scroll', this._onScroll);
  }

  /** The measured row height, in px. */
  get estimate(): number {
    return this._estimate;
  }

  /** The px a job outside the window stands for (`spacerUnit`). */
  get unit(): number {
    return spacerUnit(this._estimate, this._window?.total ?? 0);
  }

  /** Back to the top of the list (new filters). */
  scrollToTop(): void {
    this._scroller.scrollTop = 0;
  }

  /** The first row in view and how many are; null without a layout (a hidden panel). */
  visible(): { first: number; count: number } | null {
    const win = this._window;
    if (!win || win.total === 0) {
      return null;
    }
    const view = this._view();
    if (!view) {
      return null;
    }
    const heights = this._heights();
    const first = rowAt(view.top, win, heights, this.unit);
    const last = Math.max(first, rowAt(view.bottom - 1, win, heights, this.unit));
    return { first, count: last - first + 1 };
  }

  /**
   * Draw `page` with `drawRows` (which updates the table's body), keeping the
   * job at the top of the view in place. A window the user did not scroll to
   * (another page, new filters) is shown from its first row.
   */
  render(page: IJobPage | null, current: boolean, drawRows: () => void): void {
    const anchor = this._anchor();
    const scroller = this._scroller;
    const atEnd = scroller.clientHeight > 0 && scroller.scrollTop > 0 && scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1;
    // at the very top the newest jobs are in view: a new one shows there, it pushes the rest down
    const atTop = scroller.scrollTop <= 0;
    drawRows();
    const win = page ? { offset: page.offset, count: page.jobs.length, limit: page.limit, total: page.total } : null;
    const moved = !!win && !!this._window && win.offset !== this._window.offset;
    const ours = !!win && current && win.offset === this._requested;
    if (ours) {
      this._requested = -1; // arrived: a later move to this offset is not ours
    }
    this._window = win;
    this._measure(anchor !== null);
    const unit = this.unit;
    this._top.cell.style.height = `${win ? win.offset * unit : 0}px`;
    this._bottom.cell.style.height = `${win ? Math.max(0, win.total - win.offset - win.count) * unit : 0}px`;
    this._table.table.style.setProperty('--qnb-row-height', `${unit}px`);
    const row = anchor && !atTop ? this._table.rows.get(anchor.id) : undefined;
    if (anchor && row) {
      const delta = this._rowTop(row) - anchor.top;
      if (Math.abs(delta) >= 1) {
        this._scroller.scrollTop += delta;
      }
    } else if (win && current && moved && !ours) {
      // its first row just under the sticky header
      this._scroller.scrollTop = this._bodyTop() + win.offset * unit - this._header();
    } else if (atEnd) {
      scroller.scrollTop = scroller.scrollHeight; // the end of the list stays in view
    }
    if (current) {
      this._check();
    }
  }

  /** The view may have changed size: update the range and fetch more rows if needed. */
  refresh(): void {
    this._onVisible();
    this._check();
  }

  dispose(): void {
    this._scroller.removeEventListener('scroll', this._onScroll);
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /** Scrolled: look again at the next animation frame. */
  private _onScroll = (): void => {
    this._onVisible();
    if (!this._frame) {
      this._frame = true;
      requestAnimationFrame(() => {
        this._frame = false;
        this._check();
      });
    }
  };

  /** Ask for the window around the rows in view when the current one is not enough. */
  private _check(): void {
    const win = this._window;
    const shown = this.visible();
    if (!win || !shown) {
      return;
    }
    const size = windowSize(shown.count);
    const offset = nextOffset(shown.first, shown.first + shown.count - 1, win, size);
    if (offset === null || (offset === this._requested && size === this._requestedSize)) {
      return;
    }
    const wait = this._lastRequest + REQUEST_GAP - Date.now();
    if (wait > 0) {
      if (this._timer === null) {
        this._timer = setTimeout(() => {
          this._timer = null;
          this._check();
        }, wait);
      }
      return;
    }
    this._lastRequest = Date.now();
    this._requested = offset;
    this._requestedSize = size;
    this._onWindow(offset, size);
  }

  /**
   * Scroll a view's worth up (-1) or down (1), keeping one row of the last view in
   * sight; false without a layout (the caller moves the model's window instead).
   */
  scrollByView(direction: -1 | 1): boolean {
    const step = this._scroller.clientHeight - this._header() - this._estimate;
    if (step <= 0) {
      return false;
    }
    this._scroller.scrollTop += direction * step;
    return true;
  }

  private _header(): number {
    return this._table.table.tHead?.offsetHeight ?? 0;
  }

  /** The visible part of the list's body, in px from the body's top (under the sticky header). */
  private _view(): { top: number; bottom: number } | null {
    const height = this._scroller.clientHeight;
    if (height <= 0) {
      return null;
    }
    const top = this._scroller.scrollTop - this._bodyTop() + this._header();
    const bottom = this._scroller.scrollTop - this._bodyTop() + height;
    return bottom > top ? { top: Math.max(0, top), bottom } : null;
  }

  /** Where the list's body (the top spacer) starts, in the scroller's content, in px. */
  private _bodyTop(): number {
    return this._top.body.getBoundingClientRect().top - this._scroller.getBoundingClientRect().top + this._scroller.scrollTop;
  }

  /** A row's top in the scroller's content, in px. */
  private _rowTop(row: HTMLElement): number {
    return row.getBoundingClientRect().top - this._scroller.getBoundingClientRect().top + this._scroller.scrollTop;
  }

  private _heights(): number[] {
    return Array.from(this._table.tbody.rows, row => row.getBoundingClientRect().height);
  }

  /** The first row in view and its top, relative to the view. */
  private _anchor(): { id: string; top: number } | null {
    const view = this._view();
    if (!view || !this._window) {
      return null;
    }
    const start = this._scroller.scrollTop + this._header();
    for (const row of Array.from(this._table.tbody.rows)) {
      const rect = row.getBoundingClientRect();
      const top = this._rowTop(row);
      if (top + rect.height > start) {
        const id = row.dataset.jobId;
        return id && top < this._scroller.scrollTop + this._scroller.clientHeight ? { id, top } : null;
      }
    }
    return null;
  }

  /**
   * Measure the rows' mean height. It changes only while a row anchors the view,
   * which hides the change; in a blank stretch it would move the list under the user.
   */
  private _measure(anchored: boolean): void {
    const heights = this._heights().filter(h => h > 0);
    if (!heights.length) {
      return;
    }
    const mean = heights.reduce((a, b) => a + b, 0) / heights.length;
    if (!this._measured || (anchored && Math.abs(mean - this._estimate) > 0.5)) {
      this._estimate = mean;
      this._measured = true;
    }
  }

  private _scroller: HTMLElement;
  private _table: IJobTable;
  private _onWindow: (offset: number, size: number) => void;
  private _onVisible: () => void;
  private _top: { body: HTMLTableSectionElement; cell: HTMLTableCellElement };
  private _bottom: { body: HTMLTableSectionElement; cell: HTMLTableCellElement };
  private _window: IWindow | null = null;
  private _estimate = DEFAULT_ROW_HEIGHT;
  private _measured = false;
  private _requested = -1;
  private _requestedSize = 0;
  private _lastRequest = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _frame = false;
}

/** A `tbody.qnb-Spacer` of one cell across the table (its height is set by `render`). */
function spacer(doc: Document): { body: HTMLTableSectionElement; cell: HTMLTableCellElement } {
  const body = doc.createElement('tbody');
  body.className = 'qnb-Spacer';
  body.setAttribute('aria-hidden', 'true');
  const row = body.insertRow();
  const cell = doc.createElement('td');
  cell.colSpan = COLUMNS.length;
  cell.style.height = '0px';
  row.appendChild(cell);
  return { body, cell };
}
