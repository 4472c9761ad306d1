// Every TCP socket the test platform's processes listen on binds loopback (127.0.0.1 or ::1), never every
// interface or another address: its servers run without authentication (platform/local/bind-policy.ts).
// Only this platform's processes are looked at (its pid files under DP_HOME and their descendants): other
// platforms may run on the same machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { derivedPorts, loadConfig, paths } from '../../../lib/config';
import { readPid } from '../../../lib/process';
import { listeningSockets, processTree, socketInodes } from '../../support/listening-sockets';

const config = loadConfig();
const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** This platform's processes: the pid of every pid file under DP_HOME/run, and their descendants. */
function platformProcesses(): { roots: Record<string, number>; pids: Set<number> } {
  const runDir = path.dirname(paths(config).pid('x'));
  const roots: Record<string, number> = {};
  for (const file of fs.readdirSync(runDir).filter((f) => f.endsWith('.pid'))) {
    const record = readPid(path.join(runDir, file));
    if (record && fs.existsSync(`/proc/${record.pid}`)) roots[file.replace(/\.pid$/, '')] = record.pid;
  }
  return { roots, pids: processTree(Object.values(roots)) };
}

describe('the local platform listens on loopback only', () => {
  test('every listening socket of its processes binds 127.0.0.1 or ::1', () => {
    const { roots, pids } = platformProcesses();
    expect(Object.keys(roots)).toEqual(
      expect.arrayContaining(['temporal', 'worker', 'objectstore', 'nessie', 'trino', 'kafka']),
    );
    const owners = socketInodes(pids);
    const ours = listeningSockets().filter((s) => owners.has(s.inode));
    const byPid = (pid: number) =>
      Object.entries(roots).find(([, root]) => processTree([root]).has(pid))?.[0];
    const exposed = ours
      .filter((s) => !LOOPBACK.has(s.address))
      .map((s) => `${byPid(owners.get(s.inode) as number)} on ${s.address}:${s.port}`);
    expect(exposed).toEqual([]);

    // Not vacuous: the configured ports of each server are among the sockets found.
    const ports = new Set(ours.map((s) => s.port));
    const p = config.ports;
    const expected = [p.temporal, p.temporalUi, p.s3, p.seaweedMaster, p.seaweedVolume, p.seaweedFiler];
    expected.push(p.nessie, p.nessieManagement, p.trino, p.kafka, p.kafkaController);
    expected.push(...Object.values(derivedPorts(p)));
    expect(expected.filter((port) => !ports.has(port))).toEqual([]);
  });
});
