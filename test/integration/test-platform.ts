// The test platform: its own DP_HOME in a temporary folder and its own ports, so a test run never touches
// a platform the user has running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ports } from '../../lib/config';

export const TEST_PORTS: Ports = {
  temporal: 27233,
  temporalUi: 28233,
  s3: 28333,
  seaweedMaster: 29333,
  seaweedVolume: 29340,
  seaweedFiler: 28888,
  nessie: 29120,
  nessieManagement: 29121,
  trino: 28080,
  airflow: 28280,
  tlcMirror: 28190,
  kafka: 29092,
  kafkaController: 29093,
};

export function createTestHome(prefix: string, ports: Ports): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ ports }, null, 2));
  return home;
}
