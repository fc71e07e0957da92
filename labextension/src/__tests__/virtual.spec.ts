// The virtualised jobs list: which window to fetch for the rows in view, which
// job is at a height of the list, and the spacers that stand for the others.
import { createJobTable, IJobTable, renderJobTable } from '../table';
import { MAX_LIST_PX, MAX_WINDOW, MIN_WINDOW, nextOffset, rowAt, spacerUnit, VirtualRows, windowSize } from '../virtual';
import { makeJob } from './fixtures/jobs';

describe('windowSize', () => {
  it('fetches three views of rows, at least MIN_WINDOW and at most MAX_WINDOW', () => {
    expect(windowSize(5)).toBe(MIN_WINDOW);
    expect(windowSize(30)).toBe(90);
    expect(windowSize(30.2)).toBe(93);
    expect(windowSize(1000)).toBe(MAX_WINDOW);
  });
});

describe('nextOffset', () => {
  const win = (offset: number, count = 90, total = 100_000, limit = count) => ({ offset, count, limit, total });

  it('keeps a window that has room on both sides of the rows in view', () => {
    expect(nextOffset(40, 69, win(10), 90)).toBeNull();
    expect(nextOffset(0, 29, win(0), 90)).toBeNull(); // the top of the list needs no room above
    expect(nextOffset(99_970, 99_999, win(99_910), 90)).toBeNull(); // nor its end below
  });

  it('centres a new window on the rows in view when they near its edge', () => {
    // 30 in view of 90: 60 spare, 15 kept on each side; 30 above them once moved
    expect(nextOffset(80, 109, win(10), 90)).toBe(50);
    expect(nextOffset(12, 41, win(10), 90)).toBe(0); // near the top: from the first job
  });

  it('jumps to a far place (the scrollbar dragged) without fetching what lies between', () => {
    expect(nextOffset(50_000, 50_029, win(0), 90)).toBe(49_970);
  });

  it('never asks past the end of the list', () => {
    expect(nextOffset(99_990, 99_999, win(0), 90)).toBe(99_910);
    expect(nextOffset(20, 49, win(0, 50, 50, 90), 90)).toBeNull(); // a short list is whole
  });

  it('asks for a bigger window when the view grew taller than the window serves', () => {
    expect(nextOffset(0, 39, win(0, 50, 100_000, 50), windowSize(40))).toBe(0);
  });
});

describe('rowAt', () => {
  const win = { offset: 100, count: 3, limit: 3, total: 1000 };
  const heights = [20, 36, 20]; // the second row has a line of tags

  it('maps the top spacer at the estimated height', () => {
    expect(rowAt(0, win, heights, 20)).toBe(0);
    expect(rowAt(1999, win, heights, 20)).toBe(99);
  });

  it('finds a drawn row by its real height', () => {
    expect(rowAt(2000, win, heights, 20)).toBe(100);
    expect(rowAt(2025, win, heights, 20)).toBe(101);
    expect(rowAt(2055, win, heights, 20)).toBe(101);
    expect(rowAt(2056, win, heights, 20)).toBe(102);
  });

  it('maps the bottom spacer from the last drawn row on, up to the last job', () => {
    expect(rowAt(2076, win, heights, 20)).toBe(103);
    expect(rowAt(2076 + 20 * 10, win, heights, 20)).toBe(113);
    expect(rowAt(10 ** 9, win, heights, 20)).toBe(999);
  });
});

describe('VirtualRows over a laid-out table', () => {
  // jsdom has no layout: rows of ROW px under a HEAD px sticky header in a VIEW px scroller
  const ROW = 26;
  const HEAD = 24;
  const VIEW = 260;

  function setup(): {
    scroller: HTMLElement;
    table: IJobTable;
    virtual: VirtualRows;
    requests: [number, number][];
    show: (offset: number, count: number, total: number) => void;
  } {
    const scroller = document.createElement('div');
    const table = createJobTable(() => undefined);
    scroller.appendChild(table.table);
    document.body.appendChild(scroller);
    let scrollTop = 0;
    const spacer = (body: HTMLTableSectionElement): number => parseFloat(body.rows[0].cells[0].style.height) || 0;
    const span = (el: Element): [number, number] => {
      let y = HEAD;
      for (const body of Array.from(table.table.tBodies)) {
        if (body === el) {
          return [y, 0];
        }
        if (body.className === 'qnb-Spacer') {
          y += spacer(body);
          continue;
        }
        for (const row of Array.from(body.rows)) {
          if (row === el) {
            return [y, ROW];
          }
          y += ROW;
        }
      }
      return [y, 0];
    };
    const height = (): number => span(document.body)[0];
    Object.defineProperty(scroller, 'clientHeight', { get: () => VIEW });
    Object.defineProperty(scroller, 'scrollHeight', { get: height });
    Object.defineProperty(scroller, 'scrollTop', {
      get: () => scrollTop,
      set: (v: number) => {
        scrollTop = Math.max(0, Math.min(v, height() - VIEW));
      }
    });
    Object.defineProperty(table.table.tHead!, 'offsetHeight', { get: () => HEAD });
    jest.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (this: Element) {
      const [y, h] = this === scroller ? [0, VIEW] : span(this);
      const top = this === scroller ? 0 : y - scrollTop;
      return { top, height: h, bottom: top + h, left: 0, right: 0, width: 0, x: 0, y: top } as DOMRect;
    });
    const requests: [number, number][] = [];
    const virtual = new VirtualRows({
      scroller,
      table,
      onWindow: (offset, size) => requests.push([offset, size]),
      onVisible: () => undefined
    });
    // jobs newest first: the job at index i of `total` is `job-(total - 1 - i)`
    const show = (offset: number, count: number, total: number): void => {
      const jobs = Array.from({ length: count }, (_, i) =>
        makeJob({ id: `job-${total - 1 - (offset + i)}`, name: `job-${total - 1 - (offset + i)}`, status: 'DONE' })
      );
      const page = { jobs, offset, limit: count, total };
      virtual.render(page, true, () => renderJobTable(table, jobs, null));
    };
    return { scroller, table, virtual, requests, show };
  }

  afterEach(() => {
    jest.restoreAllMocks();
    document.body.replaceChildren();
  });

  it('spans every job with its spacers, and names the rows in view', () => {
    const { scroller, virtual, show } = setup();
    show(0, 50, 1000);
    expect(scroller.scrollHeight).toBe(HEAD + 1000 * ROW);
    expect(virtual.visible()).toEqual({ first: 0, count: 10 });
    scroller.scrollTop = 600 * ROW;
    expect(virtual.visible()!.first).toBe(600);
  });

  it('asks for the window around a far place the scrollbar was dragged to', () => {
    const { scroller, virtual, requests, show } = setup();
    show(0, 50, 1000);
    requests.length = 0;
    scroller.scrollTop = 600 * ROW;
    virtual.refresh();
    expect(requests).toEqual([[580, 50]]); // 10 in view, 40 spare: 20 above them
  });

  it('shows a new job at the top when the list is scrolled to the top', () => {
    const { scroller, virtual, show } = setup();
    show(0, 50, 1000);
    show(0, 50, 1001);
    expect(scroller.scrollTop).toBe(0);
    expect(virtual.visible()!.first).toBe(0);
  });

  it('keeps the row being read in place when jobs arrive above it', () => {
    const { scroller, table, show } = setup();
    show(100, 50, 1000);
    scroller.scrollTop = 120 * ROW;
    const before = table.rows.get('job-879')!.getBoundingClientRect().top;
    show(100, 50, 1003); // three new jobs: job-879 is now at index 123
    expect(table.rows.get('job-879')!.getBoundingClientRect().top).toBe(before);
  });

  it('shows a window it did not ask for (another page) from its first row, under the header', () => {
    const { scroller, virtual, show } = setup();
    show(0, 50, 1000);
    show(50, 50, 1000);
    expect(virtual.visible()!.first).toBe(50);
    expect(scroller.scrollTop).toBe(50 * ROW);
  });

  it('scrolls a view at a time from the pager, keeping one row of the last view', () => {
    const { virtual, show } = setup();
    show(0, 50, 1000);
    expect(virtual.scrollByView(1)).toBe(true);
    expect(virtual.visible()!.first).toBe(Math.floor((VIEW - HEAD - ROW) / ROW));
  });

  it('keeps a huge list within the height browsers allow', () => {
    const { scroller, virtual, show } = setup();
    show(0, 50, 2_000_000);
    expect(scroller.scrollHeight).toBeLessThanOrEqual(MAX_LIST_PX + 50 * ROW + HEAD);
    expect(virtual.unit).toBeCloseTo(spacerUnit(ROW, 2_000_000));
    scroller.scrollTop = scroller.scrollHeight;
    expect(virtual.visible()!.first + virtual.visible()!.count).toBe(2_000_000);
  });
});
