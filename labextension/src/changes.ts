// The server's change feed (`GET /qnb/api/changes`, a WebSocket): a message whenever jobs
// change, so that the sidebar fetches at once instead of on its next poll. It reconnects
// with backoff; while it is down the sidebar polls as before.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The first reconnect waits this long, in ms; each failure doubles it ... */
export const RECONNECT_MIN = 1000;
/** ... up to this, in ms. */
export const RECONNECT_MAX = 30 * 1000;

/** How long to wait before reconnecting after `failures` failed attempts in a row. */
export function reconnectDelay(failures: number): number {
  return Math.min(RECONNECT_MAX, RECONNECT_MIN * 2 ** Math.max(0, failures - 1));
}

/** The feed's address, with the token when the page has one (browsers send no header). */
export function changesUrl(settings: ServerConnection.ISettings): string {
  const url = URLExt.join(settings.wsUrl, 'qnb', 'api', 'changes');
  return settings.token ? `${url}?token=${encodeURIComponent(settings.token)}` : url;
}

export interface IChangeSocketOptions {
  settings?: ServerConnection.ISettings;
  /** Jobs changed. */
  onChange: () => void;
  /** The feed connected (true) or went away (false). */
  onConnected: (connected: boolean) => void;
}

/** One connection to the change feed, kept open until disposed. */
export class ChangeSocket {
  constructor(options: IChangeSocketOptions) {
    this._options = options;
    this._settings = options.settings ?? ServerConnection.makeSettings();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Whether the feed is open now. */
  get connected(): boolean {
    return this._connected;
  }

  /** Failed attempts since the last open connection. */
  get failures(): number {
    return this._failures;
  }

  start(): void {
    if (!this._disposed && this._socket === null && this._timer === null) {
      this._open();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._socket?.close();
    this._socket = null;
  }

  private _open(): void {
    this._timer = null;
    let socket: WebSocket;
    try {
      socket = new this._settings.WebSocket(changesUrl(this._settings));
    } catch {
      this._closed();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      this._failures = 0;
      this._setConnected(true);
    };
    socket.onmessage = (event: MessageEvent) => {
      let message: { type?: unknown } = {};
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (message.type === 'changed') {
        this._options.onChange();
      }
    };
    socket.onclose = () => {
      if (this._socket === socket) {
        this._socket = null;
        this._closed();
      }
    };
  }

  private _closed(): void {
    this._setConnected(false);
    if (this._disposed) {
      return;
    }
    this._failures += 1;
    this._timer = setTimeout(() => this._open(), reconnectDelay(this._failures));
  }

  private _setConnected(connected: boolean): void {
    if (connected !== this._connected) {
      this._connected = connected;
      this._options.onConnected(connected);
    }
  }

  private _options: IChangeSocketOptions;
  private _settings: ServerConnection.ISettings;
  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _failures = 0;
  private _connected = false;
  private _disposed = false;
}
