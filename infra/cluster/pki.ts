// The local cluster's certificates: one CA, the API server's serving certificate, a client certificate per
// component, and the service-account key pair. Made with openssl at the first `dp cluster up`, kept under
// <DP_HOME>/cluster/pki (never committed) and reused by every later up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../lib/exec';
import type { Reporter } from '../../lib/progress';
import { CLUSTER_NETWORK, FRONT_PROXY_CLIENT, type ComponentUser } from './config';

export interface CertSpec {
  /** File name stem: <name>.crt and <name>.key. */
  name: string;
  commonName: string;
  organization?: string;
  usage: ('client' | 'server')[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** The names the API server answers to: the host's forwarder (127.0.0.1), the node, the `kubernetes` Service. */
export function apiServerSans(): { dnsNames: string[]; ipAddresses: string[] } {
  const n = CLUSTER_NETWORK;
  return {
    dnsNames: [
      'localhost',
      n.nodeName,
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      `kubernetes.default.svc.${n.clusterDomain}`,
    ],
    ipAddresses: ['127.0.0.1', n.nodeIp, n.apiServiceIp],
  };
}

/** The client certificate of each component's kubeconfig: the user and groups RBAC knows it by. */
export const CLIENT_CERTS: Record<ComponentUser, Omit<CertSpec, 'name' | 'usage'>> = {
  admin: { commonName: 'dp-admin', organization: 'system:masters' },
  'controller-manager': { commonName: 'system:kube-controller-manager' },
  scheduler: { commonName: 'system:kube-scheduler' },
  kubelet: { commonName: `system:node:${CLUSTER_NETWORK.nodeName}`, organization: 'system:nodes' },
  'kube-proxy': { commonName: 'system:kube-proxy' },
  coredns: { commonName: 'system:coredns' },
};

export function certSpecs(): CertSpec[] {
  return [
    { name: 'apiserver', commonName: 'kube-apiserver', usage: ['server'], ...apiServerSans() },
    // The API server's identity towards kubelets (exec, logs, port-forward).
    {
      name: 'apiserver-kubelet-client',
      commonName: 'kube-apiserver-kubelet-client',
      organization: 'system:masters',
      usage: ['client'],
    },
    // The API server's identity towards aggregated API servers (KEDA's metrics API server), which trust
    // it through --requestheader-client-ca-file and the allowed name.
    { name: 'front-proxy-client', commonName: FRONT_PROXY_CLIENT, usage: ['client'] },
    ...Object.entries(CLIENT_CERTS).map(([user, spec]) => ({
      name: user,
      usage: ['client' as const],
      ...spec,
    })),
  ];
}

const SUBJECT_VALUE = /^[A-Za-z0-9:._ -]+$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** openssl's -subj argument; refuses values that would change its meaning. */
export function subject(spec: CertSpec): string {
  const parts = spec.organization ? [['O', spec.organization]] : [];
  parts.push(['CN', spec.commonName]);
  for (const [, value] of parts) {
    if (!SUBJECT_VALUE.test(value))
      throw new Error(`pki: subject value '${value}' has unsupported characters`);
  }
  return parts.map(([k, v]) => `/${k}=${v}`).join('');
}

/** The X.509 v3 extensions of a leaf certificate, as an openssl extfile. */
export function extensions(spec: CertSpec): string {
  const usages = spec.usage.map((u) => (u === 'client' ? 'clientAuth' : 'serverAuth'));
  const lines = [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    `extendedKeyUsage = ${usages.join(', ')}`,
  ];
  const sans: string[] = [];
  for (const dns of spec.dnsNames ?? []) {
    if (!DNS_NAME.test(dns)) throw new Error(`pki: '${dns}' is not a DNS name`);
    sans.push(`DNS:${dns}`);
  }
  for (const ip of spec.ipAddresses ?? []) {
    const m = IPV4.exec(ip);
    if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`pki: '${ip}' is not an IPv4 address`);
    sans.push(`IP:${ip}`);
  }
  if (sans.length > 0) lines.push(`subjectAltName = ${sans.join(', ')}`);
  return lines.join('\n') + '\n';
}

const DAYS = '3650';

/**
 * Makes whatever of the PKI is missing (a re-run after a partial failure completes it); returns whether
 * anything was made. Keys are written mode 0600.
 */
export async function ensurePki(dir: string, report: Reporter): Promise<boolean> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) =>
    run('openssl', args, { component: 'cluster', report, showLine: () => false });
  let made = false;
  if (!fs.existsSync(file('ca.crt')) || !fs.existsSync(file('ca.key'))) {
    report('cluster', `pki: making the cluster CA in ${dir}`);
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      DAYS,
      '-subj',
      '/CN=dp-local-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    made = true;
  }
  for (const spec of certSpecs()) {
    const crt = file(`${spec.name}.crt`);
    if (fs.existsSync(crt) && fs.existsSync(file(`${spec.name}.key`))) continue;
    const csr = file(`${spec.name}.csr`);
    const ext = file(`${spec.name}.ext`);
    fs.writeFileSync(ext, extensions(spec));
    await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      file(`${spec.name}.key`),
      '-out',
      csr,
      '-subj',
      subject(spec),
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
      '-days',
      DAYS,
      '-extfile',
      ext,
      '-out',
      crt,
    ]);
    fs.rmSync(csr);
    fs.rmSync(ext);
    made = true;
  }
  if (!fs.existsSync(file('sa.key')) || !fs.existsSync(file('sa.pub'))) {
    await openssl([
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      file('sa.key'),
    ]);
    await openssl(['pkey', '-in', file('sa.key'), '-pubout', '-out', file('sa.pub')]);
    made = true;
  }
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.key')) fs.chmodSync(file(name), 0o600);
  }
  if (made) report('cluster', `pki: certificates ready in ${dir}`);
  return made;
}
