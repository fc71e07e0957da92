// The one place that talks HTTP to the qnb server extension: every request goes
// through `fetchAPI`, with the Jupyter server's authentication.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL namespace of the qnb REST API, under the server's base URL.
 */
export const API_NAMESPACE = ['qnb', 'api'];

/**
 * An error answered by the qnb REST API (or a network failure reaching it).
 *
 * `message` is the server's own `{"error": "..."}` text when it sent one, so
 * it can be shown to the user as is.
 */
export class QnbAPIError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly response: Response | null = null
  ) {
    super(message);
    this.name = 'QnbAPIError';
  }
}

let defaultSettings: ServerConnection.ISettings | null = null;

function getDefaultSettings(): ServerConnection.ISettings {
  if (!defaultSettings) {
    defaultSettings = ServerConnection.makeSettings();
  }
  return defaultSettings;
}

/**
 * Extract the human readable message of a failed response.
 *
 * The qnb API answers `{"error": "..."}`; Jupyter server's own handlers (for
 * instance a 403 on a missing XSRF token) answer `{"message": "..."}`.
 */
export function errorMessageFromBody(
  body: unknown,
  status: number,
  statusText: string
): string {
  if (body && typeof body === 'object') {
    const data = body as { error?: unknown; message?: unknown; reason?: unknown };
    for (const value of [data.error, data.message, data.reason]) {
      if (typeof value === 'string' && value.trim()) {
        return value;
      }
    }
  }
  if (typeof body === 'string' && body.trim() && body.length < 500) {
    return body.trim();
  }
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

/** The URL of a qnb REST API endpoint (a path under `<baseUrl>/qnb/api/`, optionally with a query string). */
export function apiURL(endPoint = '', settings: ServerConnection.ISettings = getDefaultSettings()): string {
  return URLExt.join(settings.baseUrl, ...API_NAMESPACE, endPoint);
}

/** Parse a response body: JSON when it is, else the text; `undefined` when empty. */
function parseBody(text: string): unknown {
  if (text.length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Send one request to the qnb REST API with the server's authentication
 * (`ServerConnection.makeRequest`: token, XSRF cookie) and return its response
 * when it is OK.
 *
 * @throws QnbAPIError carrying the server's error message, or a network failure
 */
export async function fetchAPI(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = getDefaultSettings()
): Promise<Response> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(apiURL(endPoint, settings), init, settings);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new QnbAPIError(`Cannot reach the qnb server extension: ${reason}`);
  }
  if (!response.ok) {
    const data = parseBody(await response.text());
    throw new QnbAPIError(
      errorMessageFromBody(data, response.status, response.statusText),
      response.status,
      response
    );
  }
  return response;
}

/**
 * Call the qnb REST API.
 *
 * @param endPoint - path under `<baseUrl>/qnb/api/`, optionally with a query string
 * @param init - the fetch options (method, body, ...)
 * @param settings - the server connection settings (defaults to the page's)
 * @returns the decoded JSON body, or `undefined` for an empty body (202, 204)
 * @throws QnbAPIError carrying the server's error message
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = getDefaultSettings()
): Promise<T> {
  const response = await fetchAPI(endPoint, init, settings);
  return parseBody(await response.text()) as T;
}

/**
 * Call the qnb REST API for a file (a CSV export): the body as a Blob, typed
 * by the response's Content-Type.
 *
 * @throws QnbAPIError carrying the server's error message
 */
export async function requestBlob(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = getDefaultSettings()
): Promise<Blob> {
  const response = await fetchAPI(endPoint, init, settings);
  return response.blob();
}
