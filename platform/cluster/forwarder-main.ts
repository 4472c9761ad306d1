// One half of the loopback forwarder, run as its own process (see forwards.ts):
//
//   host half (the host's network namespace):   TCP 127.0.0.1:<hostPort>  ->  <socketDir>/<name>.sock
//   node half (nsenter -n into the node):       <socketDir>/<name>.sock   ->  TCP <target>
//
// A Unix socket file is reachable from both namespaces, so no packet of the host ever goes to a cluster
// address. Each half re-reads the forwards file every second and opens or closes listeners to match.
//
// Usage: node -r tsx/cjs forwarder-main.ts host|node <forwards.json> <socketDir> [dnsServer]
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { forwardSocket, parseTarget, readForwards, type Forward } from './forwards';

const [mode, forwardsFile, socketDir, dnsServer] = process.argv.slice(2);
if ((mode !== 'host' && mode !== 'node') || !forwardsFile || !socketDir) {
  process.stderr.write('usage: forwarder-main.ts host|node <forwards.json> <socketDir> [dnsServer]\n');
  process.exit(2);
}

const log = (message: string) => process.stdout.write(`${new Date().toISOString()} [${mode}] ${message}\n`);

// In-cluster names (svc.cluster.local) are resolved by the cluster's DNS, not the host's resolver.
const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
if (dnsServer) resolver.setServers([dnsServer]);

async function resolveHost(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  const [address] = await resolver.resolve4(host);
  return address;
}

function pipe(a: net.Socket, b: net.Socket) {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
  a.on('close', close);
  b.on('close', close);
}

function hostServer(forward: Forward): net.Server {
  const socket = forwardSocket(socketDir, forward.name);
  const server = net.createServer((client) => pipe(client, net.connect(socket)));
  server.listen({ host: '127.0.0.1', port: forward.hostPort, exclusive: true });
  return server;
}

function nodeServer(forward: Forward): net.Server {
  const socket = forwardSocket(socketDir, forward.name);
  fs.rmSync(socket, { force: true });
  const server = net.createServer((client) => {
    client.pause();
    const { host, port } = parseTarget(forward.target);
    resolveHost(host).then(
      (address) => {
        pipe(client, net.connect({ host: address, port }));
        client.resume();
      },
      (err: Error) => {
        log(`${forward.name}: cannot resolve ${host}: ${err.message}`);
        client.destroy();
      },
    );
  });
  server.listen(socket, () => fs.chmodSync(socket, 0o600));
  return server;
}

const open = new Map<string, { forward: Forward; server: net.Server }>();

function reconcile() {
  let wanted: Forward[];
  try {
    wanted = readForwards(forwardsFile);
  } catch (err) {
    log(`keeping the current forwards: ${(err as Error).message}`);
    return;
  }
  const key = (f: Forward) => JSON.stringify(f);
  const wantedKeys = new Set(wanted.map(key));
  for (const [k, { forward, server }] of open) {
    if (!wantedKeys.has(k)) {
      server.close();
      open.delete(k);
      log(`closed ${forward.name}`);
    }
  }
  for (const forward of wanted) {
    const k = key(forward);
    if (open.has(k)) continue;
    const server = mode === 'host' ? hostServer(forward) : nodeServer(forward);
    server.on('error', (err) => {
      log(`${forward.name}: ${err.message}`);
      open.delete(k); // tried again at the next pass
    });
    server.on('listening', () =>
      log(`${forward.name}: ${mode === 'host' ? `127.0.0.1:${forward.hostPort}` : forward.target} open`),
    );
    open.set(k, { forward, server });
  }
}

reconcile();
setInterval(reconcile, 1000);
process.on('SIGTERM', () => process.exit(0));
