// Browser APIs that jsdom lacks and JupyterLab's UI packages use when they load.
if (typeof window !== 'undefined') {
  if (typeof globalThis.DragEvent === 'undefined') {
    globalThis.DragEvent = class DragEvent extends MouseEvent {};
  }
  if (typeof window.matchMedia !== 'function') {
    window.matchMedia = query => ({
      matches: false,
      media: query,
      onchange: null,
      addListener() {},
      removeListener() {},
      addEventListener() {},
      removeEventListener() {},
      dispatchEvent: () => false
    });
  }
  if (!navigator.clipboard) {
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: async () => undefined, readText: async () => '' },
      configurable: true
    });
  }
  // ServerConnection.makeSettings reads the fetch API's globals; tests pass their own.
  for (const name of ['fetch', 'Headers', 'Request']) {
    if (!(name in globalThis)) {
      globalThis[name] = undefined;
    }
  }
  if (typeof globalThis.requestIdleCallback !== 'function') {
    globalThis.requestIdleCallback = callback =>
      setTimeout(() => callback({ didTimeout: false, timeRemaining: () => 0 }), 0);
    globalThis.cancelIdleCallback = handle => clearTimeout(handle);
  }
}
