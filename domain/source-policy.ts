// Which hosts the worker may fetch a month's file from. The worker holds the object store's keys and runs
// wherever the platform runs, so any Temporal client that could make it fetch any URL could reach internal
// services through it (SSRF). The worker fetches only from origins on its own allow-list: the TLC host, its
// configured base URL and mirror, and hosts its operator added. Uploaded files need no fetch at all.
// Pure (regular expressions, no URL class), like domain/month-source.ts.

/** The failure type (ApplicationFailure) of a source the worker refuses; never retried. */
export const SOURCE_NOT_ALLOWED = 'SourceNotAllowed';

/** Where an operator adds a host, named in every refusal. */
export const SOURCE_ALLOWED_HOSTS_ENV = 'DP_SOURCE_ALLOWED_HOSTS';

export class SourceNotAllowed extends Error {
  override name = SOURCE_NOT_ALLOWED;
}

/** One allowed origin: a host, and a port (absent: the scheme's default port, 80 or 443). */
export interface AllowedOrigin {
  host: string;
  port?: number;
}

/** A source URL's parts that the allow-list looks at. */
export interface SourceOrigin {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Whether the port was the scheme's default (80 for http, 443 for https). */
  defaultPort: boolean;
}

const DEFAULT_PORTS = { http: 80, https: 443 } as const;
// scheme://authority[/path or ?query or #fragment]
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\]*)([/?#].*)?$/s;
// A DNS name (a fully qualified one may end with a dot) or IPv4 literal, or an IPv6 literal in brackets;
// then an optional port.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.?)(?::(\d{1,5}))?$/;

function parsePort(raw: string | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SourceNotAllowed(`Invalid port ${raw} in ${what}: use 1..65535.`);
  }
  return port;
}

/** Lower case, without the trailing dot of a fully qualified name (example.org. is example.org). */
function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** The scheme, host and port of an http(s) URL; refuses other schemes, user info and malformed hosts. */
export function sourceOrigin(url: string): SourceOrigin {
  const parts = URL_PARTS.exec(url);
  const scheme = parts?.[1].toLowerCase();
  if (!parts || (scheme !== 'http' && scheme !== 'https')) {
    throw new SourceNotAllowed(
      `The worker fetches only http:// and https:// URLs, not ${JSON.stringify(url.slice(0, 100))}.`,
    );
  }
  const authority = parts[2];
  if (authority.includes('@')) {
    throw new SourceNotAllowed(
      'Source URLs must not carry credentials (user@host): they would end up in logs and lineage.',
    );
  }
  const hostPort = AUTHORITY.exec(authority);
  if (!hostPort) {
    throw new SourceNotAllowed(
      `Invalid host ${JSON.stringify(authority.slice(0, 100))} in the source URL: use a host name or IP address.`,
    );
  }
  const explicit = parsePort(hostPort[2], 'the source URL');
  const port = explicit ?? DEFAULT_PORTS[scheme];
  return { scheme, host: normalHost(hostPort[1]), port, defaultPort: port === DEFAULT_PORTS[scheme] };
}

/** host:port as the refusal names it and as an operator would add it. */
export function originLabel(origin: SourceOrigin): string {
  return origin.defaultPort ? origin.host : `${origin.host}:${origin.port}`;
}

/**
 * One allow-list entry: a base URL (its host and port: https://host is host:443) or `host`/`host:port`
 * (a plain host allows the scheme's default port only).
 */
export function allowedOrigin(entry: string): AllowedOrigin {
  const trimmed = entry.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed)) {
    const origin = sourceOrigin(trimmed);
    return origin.defaultPort ? { host: origin.host } : { host: origin.host, port: origin.port };
  }
  const hostPort = AUTHORITY.exec(trimmed);
  if (!hostPort) {
    throw new SourceNotAllowed(
      `Invalid allowed source host ${JSON.stringify(entry.slice(0, 100))}: use host, host:port or a base URL ` +
        `(in ${SOURCE_ALLOWED_HOSTS_ENV} or sourceAllowedHosts).`,
    );
  }
  const port = parsePort(hostPort[2], `the allowed source host ${JSON.stringify(entry)}`);
  return port === undefined ? { host: normalHost(hostPort[1]) } : { host: normalHost(hostPort[1]), port };
}

/** Whether the origin is one the list allows: the same host, and the same port (or both default). */
export function isAllowed(origin: SourceOrigin, allowed: readonly AllowedOrigin[]): boolean {
  return allowed.some(
    (a) => a.host === origin.host && (a.port === undefined ? origin.defaultPort : a.port === origin.port),
  );
}

/** The URL when its origin is allowed; otherwise a SourceNotAllowed naming its host and how to allow it. */
export function checkSourceAllowed(url: string, allowed: readonly AllowedOrigin[]): string {
  const origin = sourceOrigin(url);
  if (isAllowed(origin, allowed)) return url;
  const label = originLabel(origin);
  const list = allowed.map((a) => (a.port === undefined ? a.host : `${a.host}:${a.port}`)).join(', ');
  throw new SourceNotAllowed(
    `The worker does not fetch from ${label}: it is not on the worker's source allow-list (${list}). ` +
      `To allow it, add ${label} to ${SOURCE_ALLOWED_HOSTS_ENV} (comma-separated) in the worker's ` +
      'environment or to "sourceAllowedHosts" in DP_HOME/config.json, then restart the worker (dp up); or ' +
      'download the file and pass its path to dp elt run --source.',
  );
}
