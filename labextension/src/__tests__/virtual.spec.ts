// The virtualised jobs list: which window to fetch for the rows in view, which
// job is at a height of the list, and the spacers that stand for the others.
import { MAX_WINDOW, MIN_WINDOW, nextOffset, rowAt, windowSize } from '../virtual';

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
