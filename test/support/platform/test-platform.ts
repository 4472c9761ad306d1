// The test platform: its own DP_HOME in a temporary folder and its own ports, so a test run never touches
// a platform the user has running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ports } from '../../../lib/config';

// SeaweedFS also binds each of its ports + 10000 (gRPC, lib/config derivedPorts): those must stay below
// Linux's ephemeral range (32768 and up), or an outgoing connection of another component can hold one as its
// local port and the object store cannot start (seen: Temporal's own connections on 38888).
const BASE_TEST_PORTS: Ports = {
  temporal: 27233,
  temporalUi: 28233,
  s3: 20333,
  seaweedMaster: 20433,
  seaweedVolume: 20440,
  seaweedFiler: 20888,
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
  clusterKafka: 26092,
  clusterFlink: 26081,
  clusterPrometheus: 26090,
};

// DP_TEST_PORT_OFFSET shifts every test port, so two test runs (e.g. two checkouts) can share a machine.
// Offsets of 1000 collide with the base set; small ones such as 50 do not.
export const MAX_TEST_PORT_OFFSET = 999;
export const TEST_PORT_OFFSET = Number(process.env.DP_TEST_PORT_OFFSET ?? '0');
if (!Number.isInteger(TEST_PORT_OFFSET) || TEST_PORT_OFFSET < 0 || TEST_PORT_OFFSET > MAX_TEST_PORT_OFFSET) {
  throw new Error(
    `DP_TEST_PORT_OFFSET must be an integer from 0 to ${MAX_TEST_PORT_OFFSET}, got "${process.env.DP_TEST_PORT_OFFSET}"`,
  );
}

export const TEST_PORTS: Ports = Object.fromEntries(
  Object.entries(BASE_TEST_PORTS).map(([name, port]) => [name, port + TEST_PORT_OFFSET]),
) as unknown as Ports;

/**
 * A loopback port the test platform's worker may fetch sources from, allowed the way a user allows a host
 * (`sourceAllowedHosts` in DP_HOME/config.json): tests serve files there, or leave it closed. Kept off the
 * base ports above.
 */
export const TEST_SOURCE_PORT = 28390 + TEST_PORT_OFFSET;

export function createTestHome(prefix: string, ports: Ports): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const config = { ports, sourceAllowedHosts: [`127.0.0.1:${TEST_SOURCE_PORT}`] };
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config, null, 2));
  return home;
}
