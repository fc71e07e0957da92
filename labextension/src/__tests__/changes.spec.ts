import { ServerConnection } from '@jupyterlab/services';

import { ChangeSocket, changesUrl, RECONNECT_MAX, RECONNECT_MIN, reconnectDelay } from '../changes';

/** A WebSocket the test drives: it records every instance made. */
class FakeSocket {
  static made: FakeSocket[] = [];
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  close(): void {
    this.closed = true;
    this.onclose?.();
  }
}

function settings(token = ''): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token,
    WebSocket: FakeSocket as unknown as typeof WebSocket
  });
}

describe('the change feed', () => {
  beforeEach(() => {
    FakeSocket.made = [];
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('connects under the server base URL, with the token when the page has one', () => {
    expect(changesUrl(settings())).toBe('ws://localhost:8888/lab-base/qnb/api/changes');
    expect(changesUrl(settings('a b'))).toBe('ws://localhost:8888/lab-base/qnb/api/changes?token=a%20b');
  });

  it('reports changes and its connection, and reconnects with a growing backoff', () => {
    const onChange = jest.fn();
    const states: boolean[] = [];
    const feed = new ChangeSocket({ settings: settings(), onChange, onConnected: c => states.push(c) });
    feed.start();
    const first = FakeSocket.made[0];
    first.onopen!();
    first.onmessage!({ data: '{"type": "hello"}' });
    first.onmessage!({ data: 'not json' });
    expect(onChange).not.toHaveBeenCalled();
    first.onmessage!({ data: '{"type": "changed"}' });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(states).toEqual([true]);

    first.onclose!(); // the server went away
    expect(states).toEqual([true, false]);
    jest.advanceTimersByTime(RECONNECT_MIN - 1);
    expect(FakeSocket.made).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.made).toHaveLength(2);
    FakeSocket.made[1].onclose!(); // still down: twice as long
    jest.advanceTimersByTime(2 * RECONNECT_MIN - 1);
    expect(FakeSocket.made).toHaveLength(2);
    jest.advanceTimersByTime(1);
    FakeSocket.made[2].onopen!();
    expect(states).toEqual([true, false, true]);
    expect(feed.failures).toBe(0);

    feed.dispose(); // closes, and never reconnects
    expect(FakeSocket.made[2].closed).toBe(true);
    jest.advanceTimersByTime(RECONNECT_MAX);
    expect(FakeSocket.made).toHaveLength(3);
  });

  it('waits at most RECONNECT_MAX', () => {
    expect([1, 2, 3].map(reconnectDelay)).toEqual([RECONNECT_MIN, 2 * RECONNECT_MIN, 4 * RECONNECT_MIN]);
    expect(reconnectDelay(50)).toBe(RECONNECT_MAX);
  });
});
