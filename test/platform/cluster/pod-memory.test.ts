import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CGROUP_ROOT } from '../../../infra/cluster/config';
import { podWorkingSetMiB } from '../../../platform/cluster/supervisor';

const UID = '24b1be4d-21be-4907-b889-e4955eb49f3f';
const MiB = 1024 * 1024;

/** A cgroup tree with one pod's memory files, v1 (a memory hierarchy) or v2 (one unified tree). */
function cgroupTree(v2: boolean, usage: number, inactive: number): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-cgroup-'));
  if (v2) fs.writeFileSync(path.join(base, 'cgroup.procs'), '');
  const pod = path.join(base, v2 ? '' : 'memory', CGROUP_ROOT, 'kubepods', 'burstable', `pod${UID}`);
  fs.mkdirSync(pod, { recursive: true });
  fs.writeFileSync(path.join(pod, v2 ? 'memory.current' : 'memory.usage_in_bytes'), `${usage}\n`);
  const prefix = v2 ? '' : 'total_';
  fs.writeFileSync(
    path.join(pod, 'memory.stat'),
    // the pod's own inactive_file (v1) comes before the hierarchical total the kubelet uses
    `${v2 ? '' : `inactive_file ${7 * MiB}\n`}active_file ${MiB}\n${prefix}inactive_file ${inactive}\n`,
  );
  return base;
}

describe('podWorkingSetMiB', () => {
  test.each([false, true])('usage less inactive file pages (cgroup v2: %s)', (v2) => {
    const base = cgroupTree(v2, 300 * MiB, 44 * MiB);
    expect(podWorkingSetMiB(UID, base)).toBe(256);
  });

  test('undefined for a pod this machine does not run, and for what is not a pod uid', () => {
    const base = cgroupTree(false, MiB, 0);
    expect(podWorkingSetMiB('00000000-0000-0000-0000-000000000000', base)).toBeUndefined();
    expect(podWorkingSetMiB('../../etc', base)).toBeUndefined();
  });
});
