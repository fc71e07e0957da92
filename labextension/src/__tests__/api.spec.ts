/**
 * @jest-environment node
 */
// The REST client against a mocked fetch, through the real ServerConnection.
import { ServerConnection } from '@jupyterlab/services';

import {
  cancelJob,
  CSV_FILENAME,
  exportJobsCsv,
  getBudgets,
  getJob,
  IListJobsOptions,
  jobsCsvURL,
  jobsQuery,
  listBackends,
  listJobs
} from '../api';
import { QnbAPIError, requestAPI } from '../request';
import { makeJob } from './fixtures/jobs';

const BASE = 'http://localhost:8888/base/';

type Call = { url: URL; method: string; headers: Headers; body: string };

function setup(
  respond: (call: Call) => Response | Promise<Response>,
  extra: Partial<ServerConnection.ISettings> = {}
): { settings: ServerConnection.ISettings; calls: Call[] } {
  const calls: Call[] = [];
  const fetchMock = jest.fn(async (input: RequestInfo | URL) => {
    const request = input as Request;
    const call: Call = {
      url: new URL(request.url),
      method: request.method,
      headers: request.headers,
      body: await request.text()
    };
    calls.push(call);
    return respond(call);
  });
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    fetch: fetchMock as unknown as typeof fetch,
    token: '',
    ...extra
  });
  return { settings, calls };
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('requestAPI', () => {
  it('joins the base URL with qnb/api and the endpoint', async () => {
    const { settings, calls } = setup(() => json({ ok: true }));
    await expect(requestAPI('backends', {}, settings)).resolves.toEqual({ ok: true });
    expect(calls).toHaveLength(1);
    expect(calls[0].url.origin + calls[0].url.pathname).toBe('http://localhost:8888/base/qnb/api/backends');
  });

  it('sends the token when the settings have one', async () => {
    const { settings, calls } = setup(() => json({}), { token: 's3cret' });
    await requestAPI('backends', {}, settings);
    expect(calls[0].headers.get('Authorization')).toBe('token s3cret');
  });

  it('throws the server\'s {"error"} message with the status', async () => {
    const { settings } = setup(() => json({ error: 'unknown backend "ibm_x"; configured: aer' }, 400));
    const failure = requestAPI('jobs', {}, settings);
    await expect(failure).rejects.toBeInstanceOf(QnbAPIError);
    await expect(failure).rejects.toMatchObject({
      message: 'unknown backend "ibm_x"; configured: aer',
      status: 400
    });
  });

  it('falls back to Jupyter\'s {"message"} and to the HTTP status', async () => {
    const a = setup(() => json({ message: '_xsrf argument missing from POST', reason: null }, 403));
    await expect(requestAPI('jobs', { method: 'POST' }, a.settings)).rejects.toMatchObject({
      message: '_xsrf argument missing from POST',
      status: 403
    });
    const b = setup(() => new Response('', { status: 502, statusText: 'Bad Gateway' }));
    await expect(requestAPI('jobs', {}, b.settings)).rejects.toMatchObject({
      message: 'HTTP 502 Bad Gateway',
      status: 502
    });
  });

  it('wraps network failures', async () => {
    const { settings } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(requestAPI('jobs', {}, settings)).rejects.toThrow(
      'Cannot reach the qnb server extension: Failed to fetch'
    );
  });
});

describe('jobsQuery', () => {
  it('leaves out unset filters', () => {
    expect(jobsQuery({})).toBe('');
    expect(jobsQuery({ status: null, backend: '', limit: 50, offset: 0 })).toBe('?limit=50&offset=0');
    expect(jobsQuery({ backend: 'ibm brisbane' })).toBe('?backend=ibm%20brisbane');
    expect(jobsQuery({ session: null, limit: 50 })).toBe('?limit=50');
    expect(jobsQuery({ status: 'DONE', session: '0123456789ab', limit: 50, offset: 0 })).toBe(
      '?status=DONE&session=0123456789ab&limit=50&offset=0'
    );
  });
});

describe('jobsQuery with search, tag and since', () => {
  it('puts the filters in a fixed order, before the page', () => {
    expect(
      jobsQuery({
        offset: 100,
        limit: 50,
        since: '2026-11-01T00:00:00Z',
        session: '0123456789ab',
        q: 'bell',
        tag: 'sweep-7',
        backend: 'aer',
        status: 'DONE'
      })
    ).toBe(
      '?status=DONE&backend=aer&tag=sweep-7&q=bell&session=0123456789ab&since=2026-11-01T00%3A00%3A00Z&limit=50&offset=100'
    );
  });

  it('trims the search text and leaves out blank or unset search and tag', () => {
    expect(jobsQuery({ q: '  bell  ', limit: 50, offset: 0 })).toBe('?q=bell&limit=50&offset=0');
    expect(jobsQuery({ q: '   ', tag: '', limit: 50, offset: 0 })).toBe('?limit=50&offset=0');
    expect(jobsQuery({ q: null, tag: null, since: null })).toBe('');
  });

  it('encodes search text and tags', () => {
    const query = jobsQuery({ q: 'h2 vqe&x=1', tag: 'run #3/ä' });
    const params = new URLSearchParams(query.slice(1));
    expect(params.get('q')).toBe('h2 vqe&x=1');
    expect(params.get('tag')).toBe('run #3/ä');
    expect([...params.keys()]).toEqual(['tag', 'q']);
  });
});

describe('listJobs', () => {
  it('GETs jobs with the search text and the tag', async () => {
    const job = makeJob({ tags: ['sweep-7'] });
    const { settings, calls } = setup(() => json({ jobs: [job], total: 1 }));
    const result = await listJobs({ q: 'bell', tag: 'sweep-7', limit: 50, offset: 0 }, settings);
    expect(result.jobs[0].tags).toEqual(['sweep-7']);
    const { url } = calls[0];
    expect(url.pathname).toBe('/base/qnb/api/jobs');
    expect(url.searchParams.get('q')).toBe('bell');
    expect(url.searchParams.get('tag')).toBe('sweep-7');
  });

  it('GETs jobs with status, backend, limit and offset', async () => {
    const job = makeJob({ status: 'RUNNING' });
    const { settings, calls } = setup(() => json({ jobs: [job], total: 10000 }));
    const result = await listJobs({ status: 'RUNNING', backend: 'aer', limit: 50, offset: 100 }, settings);
    expect(result).toEqual({ jobs: [job], total: 10000 });
    const { url, method } = calls[0];
    expect(method).toBe('GET');
    expect(url.pathname).toBe('/base/qnb/api/jobs');
    expect(url.searchParams.get('status')).toBe('RUNNING');
    expect(url.searchParams.get('backend')).toBe('aer');
    expect(url.searchParams.get('limit')).toBe('50');
    expect(url.searchParams.get('offset')).toBe('100');
  });

  it('sends no filter parameters when none are set', async () => {
    const { settings, calls } = setup(() => json({ jobs: [], total: 0 }));
    await expect(listJobs({}, settings)).resolves.toEqual({ jobs: [], total: 0 });
    const { url } = calls[0];
    expect(url.pathname).toBe('/base/qnb/api/jobs');
    expect(url.searchParams.has('status')).toBe(false);
    expect(url.searchParams.has('backend')).toBe(false);
    expect(url.searchParams.has('session')).toBe(false);
  });

  it('GETs the jobs of one session', async () => {
    const { settings, calls } = setup(() => json({ jobs: [], total: 0 }));
    await listJobs({ session: '0123456789ab', limit: 50, offset: 0 }, settings);
    expect(calls[0].url.searchParams.get('session')).toBe('0123456789ab');
  });
});

describe('CSV export', () => {
  it('builds the jobs.csv URL from the filters, without paging', () => {
    const settings = ServerConnection.makeSettings({ baseUrl: BASE });
    expect(CSV_FILENAME).toBe('qnb-jobs.csv');
    expect(jobsCsvURL({}, settings)).toBe('http://localhost:8888/base/qnb/api/jobs.csv');
    // the model's page query: its limit and offset are left out
    const page: IListJobsOptions = { status: 'DONE', backend: 'aer', tag: 'sweep-7', q: ' bell ', limit: 50, offset: 100 };
    expect(jobsCsvURL(page, settings)).toBe('http://localhost:8888/base/qnb/api/jobs.csv?status=DONE&backend=aer&tag=sweep-7&q=bell');
  });

  it('GETs jobs.csv with the filters and the token, and returns the CSV as a Blob', async () => {
    const csv = 'id,name,backend,status\n3f2a9c1b7d4e,bell,aer,DONE\n';
    const { settings, calls } = setup(
      () => new Response(csv, { status: 200, headers: { 'Content-Type': 'text/csv; charset=UTF-8' } }),
      { token: 's3cret' }
    );
    const blob = await exportJobsCsv({ status: 'DONE', tag: 'sweep-7', q: 'bell' }, settings);
    expect(await blob.text()).toBe(csv);
    expect(blob.type).toMatch(/^text\/csv/);
    expect(calls).toHaveLength(1);
    const { url, method, headers } = calls[0];
    expect(method).toBe('GET');
    expect(url.origin + url.pathname).toBe('http://localhost:8888/base/qnb/api/jobs.csv');
    // (ServerConnection adds a cache buster after the filters)
    expect([...url.searchParams].slice(0, 3)).toEqual([
      ['status', 'DONE'],
      ['tag', 'sweep-7'],
      ['q', 'bell']
    ]);
    expect(url.searchParams.has('limit')).toBe(false);
    expect(url.searchParams.has('offset')).toBe(false);
    expect(headers.get('Authorization')).toBe('token s3cret');
  });

  it('rejects with the server\'s error', async () => {
    const { settings } = setup(() => json({ error: 'unknown status "DON"' }, 400));
    await expect(exportJobsCsv({}, settings)).rejects.toMatchObject({
      name: 'QnbAPIError',
      status: 400,
      message: 'unknown status "DON"'
    });
  });
});

describe('getJob', () => {
  it('GETs jobs/{id} and returns the job with its counts', async () => {
    const job = makeJob({ id: '3f2a9c1b7d4e', status: 'DONE', counts: [{ '00': 510, '11': 490 }] });
    const { settings, calls } = setup(() => json(job));
    await expect(getJob('3f2a9c1b7d4e', settings)).resolves.toEqual(job);
    expect(calls[0].method).toBe('GET');
    expect(calls[0].url.pathname).toBe('/base/qnb/api/jobs/3f2a9c1b7d4e');
  });

  it('rejects with the 404 message', async () => {
    const { settings } = setup(() => json({ error: 'no job 000000000000' }, 404));
    await expect(getJob('000000000000', settings)).rejects.toMatchObject({
      status: 404,
      message: 'no job 000000000000'
    });
  });

  it('encodes the id into the path', async () => {
    const { settings, calls } = setup(() => json(makeJob()));
    await getJob('a/b?c', settings);
    expect(calls[0].url.pathname).toBe('/base/qnb/api/jobs/a%2Fb%3Fc');
  });
});

describe('cancelJob', () => {
  it('POSTs jobs/{id}/cancel and accepts an empty 202', async () => {
    const { settings, calls } = setup(() => new Response(null, { status: 202 }));
    await expect(cancelJob('3f2a9c1b7d4e', settings)).resolves.toBeUndefined();
    expect(calls[0].method).toBe('POST');
    expect(calls[0].url.pathname).toBe('/base/qnb/api/jobs/3f2a9c1b7d4e/cancel');
  });

  it('rejects with the 409 message when the job already finished', async () => {
    const { settings } = setup(() => json({ error: 'job 3f2a9c1b7d4e is already DONE' }, 409));
    await expect(cancelJob('3f2a9c1b7d4e', settings)).rejects.toMatchObject({
      status: 409,
      message: 'job 3f2a9c1b7d4e is already DONE'
    });
  });
});

describe('listBackends', () => {
  it('GETs backends', async () => {
    const body = {
      backends: [
        { name: 'aer', provider: 'aer', num_qubits: 30, simulator: true, default: true, reachable: true, detail: null }
      ],
      default: 'aer'
    };
    const { settings, calls } = setup(() => json(body));
    await expect(listBackends(settings)).resolves.toEqual(body);
    expect(calls[0].url.pathname).toBe('/base/qnb/api/backends');
  });
});

describe('getBudgets', () => {
  it('GETs usage?budget=1 and returns the budgets that apply to the user', async () => {
    const budget = {
      budget: 'user alice',
      period: 'month',
      usd: { cap: 20, spent: 16.6, reserved: 0, left: 3.4 },
      qpu_seconds: null
    };
    const { settings, calls } = setup(() => json({ user: 'alice', budgets: [budget] }));
    expect(await getBudgets(settings)).toEqual([budget]);
    expect(calls.map(c => `${c.method} ${c.url.pathname}`)).toEqual(['GET /base/qnb/api/usage']);
    expect(calls[0].url.searchParams.get('budget')).toBe('1');
  });
});
