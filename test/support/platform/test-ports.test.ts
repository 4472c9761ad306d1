// The test platform's ports, with every port SeaweedFS derives from them, stay out of Linux's ephemeral range
// for any DP_TEST_PORT_OFFSET: a port there can be taken as the local port of some outgoing connection.
import * as fs from 'node:fs';
import { derivedPorts } from '../../../lib/config';
import { TEST_PORTS, TEST_SOURCE_PORT } from './test-platform';

const MAX_OFFSET = 999;

function ephemeralStart(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768; // Linux's default
  }
}

describe('test platform ports', () => {
  it("stay below the ephemeral range, SeaweedFS's derived ports included, at the largest offset", () => {
    const all = { ...TEST_PORTS, ...derivedPorts(TEST_PORTS), source: TEST_SOURCE_PORT };
    const start = Math.min(ephemeralStart(), 32768);
    const inRange = Object.entries(all).filter(([, port]) => port + MAX_OFFSET >= start);
    expect(inRange).toEqual([]);
  });
});
