// The "Quantum Jobs" sidebar: a JupyterLab side panel that lays out the views
// (toolbar, table, compare bar, pager, details, comparison) over a JobsModel,
// renders them when the model changes, and tells the model whether it is visible.
import { Notification } from '@jupyterlab/apputils';
import { SidePanel } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { CSV_FILENAME } from './api';
import { ComparisonView, createCompareBar, ICompareBar, renderCompareBar } from './comparison';
import { JobDetails } from './details';
import { saveBlob } from './download';
import { qnbIcon } from './icons';
import { isFiltered, JobsModel } from './model';
import { createPager, IPager, renderPager } from './pager';
import { QnbAPIError } from './request';
import { createJobTable, emptyMessage, IJobTable, renderJobTable } from './table';
import { createToolbar, IJobsToolbar, renderToolbar } from './toolbar';
import { renderUsage } from './usage';
import { VirtualRows } from './virtual';

export const PANEL_ID = 'qnb-jobs-panel';

export interface IJobsPanelOptions {
  model: JobsModel;
  /** Copy text to the clipboard. */
  copy: (text: string) => void;
  /** "Open in notebook": insert `%qresult <id>` (or copy it). */
  openInNotebook: (id: string) => void | Promise<void>;
}

/** "Could not load jobs (HTTP 500): ...": the banner text for a failed tick. */
export function errorText(error: Error, selectedId: string | null): string {
  const status = error instanceof QnbAPIError && error.status ? ` (HTTP ${error.status})` : '';
  const what = selectedId ? `job ${selectedId}` : 'jobs';
  return `Could not load ${what}${status}: ${error.message}`;
}

/**
 * Download the jobs of the model's filters (every page) as qnb-jobs.csv; a
 * failure shows as a notification. A no-op while an export is on its way.
 */
export async function downloadCsv(model: JobsModel): Promise<void> {
  if (model.exporting) {
    return;
  }
  try {
    saveBlob(await model.exportCsv(), CSV_FILENAME);
  } catch (error) {
    Notification.error(`Could not download the jobs as CSV: ${(error as Error).message}`, { autoClose: 8000 });
  }
}

export class JobsPanel extends SidePanel {
  constructor(options: IJobsPanelOptions) {
    const model = options.model;
    const toolbar = createToolbar({
      onFilter: filters => model.setFilters(filters),
      onRefresh: () => void model.refresh(),
      onDownload: () => void downloadCsv(model)
    });
    super({ content: new Panel(), toolbar: toolbar.toolbar });
    this._model = model;
    this._filterBar = toolbar;
    this.id = PANEL_ID;
    this.addClass('qnb-JobsPanel');
    this.title.icon = qnbIcon;
    this.title.caption = 'Quantum Jobs';

    const heading = document.createElement('h2');
    heading.textContent = 'Quantum Jobs';
    this.header.addWidget(new Widget({ node: heading }));

    this._banner = new Widget();
    this._banner.addClass('qnb-Banner');
    this._banner.node.setAttribute('role', 'alert');
    this._banner.hide();

    this._table = createJobTable(
      id => model.select(id),
      session => this.filterSession(session),
      tag => this.filterTag(tag),
      {
        isChecked: id => model.isChecked(id),
        onCheck: (id, checked) => {
          const job = model.page?.jobs.find(j => j.id === id);
          if (job) {
            model.setChecked(job, checked);
          }
        }
      },
      owner => this.filterOwner(owner)
    );
    this._empty = document.createElement('div');
    this._empty.className = 'qnb-Empty';
    this._empty.hidden = true;
    const scroller = new Widget();
    this._scroller = scroller.node;
    scroller.addClass('qnb-TableScroller');
    scroller.node.append(this._table.table, this._empty);
    // the arrows scroll a view's worth (the list fetches what comes into view); without a
    // layout they move the window itself
    this._pager = createPager({
      onPrevious: () => this._virtual.scrollByView(-1) || model.previousPage(),
      onNext: () => this._virtual.scrollByView(1) || model.nextPage()
    });
    this._virtual = new VirtualRows({
      scroller: scroller.node,
      table: this._table,
      onWindow: (offset, size) => model.setWindow(offset, size),
      onVisible: () => this._renderRange()
    });
    this._listView = new Panel();
    this._listView.addClass('qnb-ListView');
    this._compareBar = createCompareBar({
      onCompare: () => this.compare(),
      onClear: () => model.clearChecked()
    });
    this._listView.addWidget(scroller);
    this._listView.addWidget(this._compareBar.toolbar);
    this._listView.addWidget(this._pager.toolbar);
    this._usageView = new Widget();
    this._usageView.addClass('qnb-UsageView');
    this._listView.addWidget(this._usageView);

    this._details = new JobDetails({
      onBack: () => model.select(null),
      onCancel: id => this.cancelJob(id),
      onCopyId: id => options.copy(id),
      onOpenInNotebook: id => options.openInNotebook(id),
      onFilterSession: session => this.filterSession(session),
      onFilterTag: tag => this.filterTag(tag)
    });
    this._detailsView = new Widget();
    this._detailsView.addClass('qnb-DetailsView');
    this._detailsView.node.appendChild(this._details.node);
    this._detailsView.hide();

    this._comparison = new ComparisonView({ onBack: () => this.closeComparison() });
    this._compareView = new Widget();
    this._compareView.addClass('qnb-CompareView');
    this._compareView.node.appendChild(this._comparison.node);
    this._compareView.hide();

    this.content.addClass('qnb-PanelContent');
    for (const widget of [this._banner, this._listView, this._detailsView, this._compareView]) {
      this.content.addWidget(widget);
    }
    model.changed.connect(this._render, this);
  }

  /** Show the list of the jobs of one session (from its marker in a row, or its chip in the details). */
  filterSession(session: string): void {
    this._model.setFilters({ session });
    if (this._model.selectedId !== null) {
      this._model.select(null);
    }
  }

  /** Show the list of the jobs with one tag (from a chip in a row or in the details). */
  filterTag(tag: string): void {
    this._model.setFilters({ tag });
    if (this._model.selectedId !== null) {
      this._model.select(null);
    }
  }

  /** Show the list of one user's jobs (from the owner chip of a row in the Team view). */
  filterOwner(owner: string): void {
    this._model.setFilters({ owner });
    if (this._model.selectedId !== null) {
      this._model.select(null);
    }
  }

  /** Show the comparison of the checked jobs (with the focus on its back button). */
  compare(): void {
    this._model.openComparison();
    if (this._model.comparing) {
      this._comparison.focus();
    }
  }

  /** Back from the comparison to the list (with the focus on Compare). */
  closeComparison(): void {
    const focused = this._compareView.node.contains(document.activeElement);
    this._model.closeComparison();
    if (focused) {
      this._compareBar.compare.focus();
    }
  }

  /** Download the jobs of the current filters as qnb-jobs.csv (see `downloadCsv`). */
  downloadCsv(): Promise<void> {
    return downloadCsv(this._model);
  }

  /** Ask the server to cancel a job; a failure shows as a notification. */
  async cancelJob(id: string): Promise<void> {
    try {
      await this._model.cancel(id);
    } catch (error) {
      Notification.error(`Could not cancel job ${id}: ${(error as Error).message}`, { autoClose: 8000 });
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.visible = this.isVisible;
    this._render();
  }

  protected onBeforeDetach(msg: Message): void {
    this._model.visible = false;
    super.onBeforeDetach(msg);
  }

  protected onBeforeHide(msg: Message): void {
    if (this._listShown) {
      this._savedScroll = this._scroller.scrollTop; // a hidden element loses it
    }
    super.onBeforeHide(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._listShown && this._savedScroll !== null) {
      this._scroller.scrollTop = this._savedScroll; // before the render that follows
      this._savedScroll = null;
    }
    this._model.visible = true;
    this._render();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._virtual.refresh(); // a taller view may need more rows
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.visible = false;
  }

  private _render(): void {
    if (!this.isVisible) {
      return;
    }
    const model = this._model;
    const now = Date.now();
    renderToolbar(this._filterBar, model.filters, model.backends, model.exporting);
    const team = !!(model.filters.team || model.filters.owner);
    this._table.table.classList.toggle('qnb-mod-team', team);
    if (model.usage !== null && (model.usage !== this._usageShown || model.budgets !== this._budgetsShown)) {
      this._usageShown = model.usage;
      this._budgetsShown = model.budgets;
      const open = this._usageView.node.querySelector('details')?.open ?? false;
      const summary = renderUsage(model.usage, document, model.budgets);
      summary.open = open;
      this._usageView.node.replaceChildren(summary);
    }

    const error = model.error;
    const banner = error ? errorText(error, model.selectedId) : '';
    if (this._banner.node.textContent !== banner) {
      this._banner.node.textContent = banner;
    }
    this._banner.setHidden(!error);

    const id = model.selectedId;
    const comparing = model.comparing;
    this.toggleClass('qnb-mod-details', id !== null);
    this.toggleClass('qnb-mod-compare', comparing);
    // the list keeps its place while the details or a comparison cover it (a hidden
    // element loses its scroll position)
    const listShown = id === null && !comparing;
    if (!listShown && this._listShown) {
      this._savedScroll = this._scroller.scrollTop;
    }
    this._listView.setHidden(!listShown);
    if (listShown && !this._listShown && this._savedScroll !== null) {
      this._scroller.scrollTop = this._savedScroll;
      this._savedScroll = null;
    }
    this._listShown = listShown;
    this._detailsView.setHidden(id === null || comparing);
    this._compareView.setHidden(!comparing);
    if (comparing) {
      this._comparison.update(model.comparedIds, model.comparedJobs);
      return;
    }
    if (id === null) {
      const page = model.page;
      const filters = JSON.stringify(model.filters);
      if (filters !== this._filtersShown) {
        this._filtersShown = filters;
        this._virtual.scrollToTop(); // new filters: their list from its first job
      }
      this._virtual.render(page, model.pageIsCurrent, () =>
        renderJobTable(this._table, page?.jobs ?? [], this._lastShown, now)
      );
      this._renderRange();
      renderCompareBar(this._compareBar, model.checkedJobs.length);
      const empty = !!page && page.jobs.length === 0;
      this._empty.textContent = empty ? emptyMessage(isFiltered(model.filters)) : '';
      this._empty.hidden = !empty;
      return;
    }
    this._lastShown = id;
    const job = model.selectedJob;
    if (job) {
      this._details.update(job, now);
    } else if (model.selectedMissing) {
      this._details.showMessage(id, `Job ${id} was not found.`);
    } else {
      this._details.showLoading(id);
    }
    this._details.setCancelling(model.isCancelling(id));
  }

  /** The pager's range: the rows in view, of all. */
  private _renderRange(): void {
    renderPager(this._pager, this._model.page, this._model.pageIsCurrent, this._virtual.visible());
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._virtual.dispose();
    }
    super.dispose();
  }

  private _banner: Widget;
  private _filtersShown = '';
  private _listShown = true;
  private _savedScroll: number | null = null;
  private _scroller: HTMLElement;
  private _virtual: VirtualRows;
  private _usageView: Widget;
  private _usageShown: unknown = null;
  private _budgetsShown: unknown = null;
  private _compareBar: ICompareBar;
  private _comparison: ComparisonView;
  private _compareView: Widget;
  private _details: JobDetails;
  private _detailsView: Widget;
  private _empty: HTMLDivElement;
  private _filterBar: IJobsToolbar;
  private _lastShown: string | null = null;
  private _listView: Panel;
  private _model: JobsModel;
  private _pager: IPager;
  private _table: IJobTable;
}
