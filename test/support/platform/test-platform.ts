// The test platform: its own DP_HOME in a temporary folder and its own ports, so a test run never touches
// a platform the user has running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ports } from '../../../lib/config';

const BASE_TEST_PORTS: Ports = {
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
  jupyter: 28890,
  tlcMirror: 28190,
  kafka: 29092,
  kafkaController: 29093,
  clusterApi: 26443,
  clusterTrino: 26080,
  clusterS3: 26333,
  clusterNessie: 26190,
  clusterTemporal: 26233,
  clusterTemporalUi: 26234,
  clusterJupyter: 26891,
};

// DP_TEST_PORT_OFFSET shifts every test port, so two test runs (e.g. two checkouts) can share a machine.
// Offsets of 1000 collide with the base set; small ones such as 50 do not.
const portOffset = Number(process.env.DP_TEST_PORT_OFFSET ?? '0');
if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 999) {
  throw new Error(
    `DP_TEST_PORT_OFFSET must be an integer from 0 to 999, got "${process.env.DP_TEST_PORT_OFFSET}"`,
  );
}

export const TEST_PORTS: Ports = Object.fromEntries(
  Object.entries(BASE_TEST_PORTS).map(([name, port]) => [name, port + portOffset]),
) as unknown as Ports;

/**
 * A port for a test's own HTTP source (the bad-input matrix's misbehaving server), next to the test mirror's.
 * Fixed, so the worker can be told before it starts that URL sources on it are allowed.
 */
export const TEST_SOURCE_PORT = TEST_PORTS.tlcMirror + 1;

export function createTestHome(prefix: string, ports: Ports): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ ports }, null, 2));
  return home;
}
