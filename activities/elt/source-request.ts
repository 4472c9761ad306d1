// HTTP requests for a month's source file, shared by the TLC fetch and the --source URL fetch: redirects are
// followed only within the requested origin (scheme, host and port), a server that does not answer fails
// after a bounded wait, and every failure is a typed error the activity can classify.
import { InvalidSourceFile } from './invalid-source-file';

/** Redirects followed before giving up (a loop, or a chain no file host needs). */
const MAX_REDIRECTS = 5;
/**
 * Time allowed from sending a request to the end of the response's headers: below the fetch activity's 30 s
 * heartbeat timeout, so that a silent server is reported as such, not as a heartbeat timeout and retried.
 */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 20_000;

/** The request failed on the way (connection refused or reset, DNS, no answer in time): a retry may pass. */
export class SourceRequestError extends Error {
  override name = 'SourceRequestError';
}

/** The source redirects somewhere the worker does not follow: retrying gets the same answer. */
export class SourceRedirectRefused extends InvalidSourceFile {
  override name = 'SourceRedirectRefused';
}

export interface SourceRequestOptions {
  method: 'HEAD' | 'GET';
  /** Aborts the request and, for a GET, its body (e.g. the activity's cancellation). */
  signal?: AbortSignal;
  /** Limit on the wait for the response's headers; the body has its own idle limit (see landStream). */
  responseTimeoutMs?: number;
}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * fetch() following redirects only to the same origin as `url`. Resolves with the final response (whatever
 * its status); rejects with SourceRedirectRefused for a redirect elsewhere or too many of them, and with
 * SourceRequestError when no response arrives.
 */
export async function fetchSameOrigin(url: string, options: SourceRequestOptions): Promise<Response> {
  let origin: string;
  try {
    origin = originOf(new URL(url));
  } catch {
    throw new InvalidSourceFile(
      `Invalid source URL ${JSON.stringify(url.slice(0, 200))}: use http(s)://host[:port]/path.`,
    );
  }
  const timeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new SourceRequestError(
            `${options.method} ${current}: no response within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
    const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
    let response: Response;
    try {
      response = await fetch(current, { method: options.method, redirect: 'manual', signal });
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason as SourceRequestError;
      if (options.signal?.aborted) throw err;
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new SourceRequestError(`${options.method} ${current} failed: ${cause}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (response.status < 300 || response.status > 399 || response.status === 304) return response;
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('location');
    if (!location) return response;
    const next = new URL(location, current);
    if (originOf(next) !== origin) {
      throw new SourceRedirectRefused(
        `${options.method} ${current} redirects to ${originOf(next)}, another host than ${origin}: the worker ` +
          'only follows redirects on the host it was given. Use the final URL as the source (or the host ' +
          'that serves the file as DP_TLC_BASE_URL), then run the month again.',
      );
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new SourceRedirectRefused(
        `${options.method} ${url}: more than ${MAX_REDIRECTS} redirects (a loop?). Use the file's final URL, ` +
          'then run the month again.',
      );
    }
    current = next.toString();
  }
}
