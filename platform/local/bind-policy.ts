// Which address the local components may listen on. They run without TLS, and most without any
// authentication, so the default is loopback; another address needs the user's explicit opt-in, and even
// then the servers that would hand the lakehouse to anyone who can reach them are refused.
import * as net from 'node:net';

/** What the policy needs to know about the configured host. */
export interface BindSettings {
  host: string;
  /** config.json `exposeOnNetwork: true` or DP_EXPOSE=1. */
  exposeOnNetwork: boolean;
}

/**
 * Components that never listen beyond loopback, with why: each grants full access to anyone who reaches it.
 * (Only the TLC mirror, which serves public data, and JupyterLab, which asks for its token, may.)
 */
export const LOOPBACK_ONLY: Readonly<Record<string, string>> = {
  trino: 'Trino runs without authentication: anyone could read, write and drop every table and catalog',
  nessie: 'Nessie runs without authentication: anyone could rewrite or delete the catalog',
  objectstore:
    'the object store (S3, master, volume and filer ports) serves the data files; its master, volume and ' +
    'filer ports have no authentication',
  temporal: 'the Temporal dev server has no authentication: anyone could start workflows on the worker',
  kafka: 'Kafka listens in PLAINTEXT without authentication',
  'airflow-api-server': 'Airflow makes every visitor an admin (simple auth manager, all admins)',
  'airflow-scheduler': 'Airflow runs without authentication',
  'airflow-dag-processor': 'Airflow runs without authentication',
  flink: "the Flink job's RPC and blob ports have no authentication",
};

// A DNS name (labels of letters, digits and hyphens) or an IP literal: nothing that could break a command
// line or a properties file.
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether the host is a loopback address: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return net.isIPv4(h) && h.startsWith('127.');
}

/** Whether the host binds every interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0' || host === '*' || host === '';
}

/**
 * Why `component` may not listen on the configured host, or undefined when it may. Checks the host's form
 * first (it becomes a command-line argument and a line of properties files).
 */
export function bindRefusal(component: string, settings: BindSettings): string | undefined {
  const { host } = settings;
  if (!isWildcardHost(host) && !net.isIP(host) && !HOST_NAME.test(host)) {
    return (
      `Invalid host ${JSON.stringify(host)} (config.json "host" or DP_HOST): use an IP address or a host ` +
      'name, e.g. 127.0.0.1.'
    );
  }
  if (isLoopbackHost(host)) return undefined;
  const where = isWildcardHost(host) ? 'every network interface' : host;
  if (!settings.exposeOnNetwork) {
    return (
      `The platform would listen on ${where} (host ${JSON.stringify(host)}), reachable from the network. ` +
      'The local platform binds loopback (127.0.0.1) unless you opt in with "exposeOnNetwork": true in ' +
      'DP_HOME/config.json or DP_EXPOSE=1. Remove the host setting (config.json "host", DP_HOST) to keep it local.'
    );
  }
  const reason = LOOPBACK_ONLY[component];
  if (reason) {
    return (
      `Refusing to start ${component} on ${where} although exposeOnNetwork is set: ${reason}. Keep the host on ` +
      'loopback (remove "host" from config.json and DP_HOST) and reach it from another machine through an SSH ' +
      'tunnel or an authenticating proxy, or run the platform on Kubernetes (dp up --target k8s).'
    );
  }
  return undefined;
}

/** Throws when `component` may not listen on the configured host (see bindRefusal). */
export function assertBindAllowed(component: string, settings: BindSettings): void {
  const refusal = bindRefusal(component, settings);
  if (refusal) throw new Error(refusal);
}
