// The test platform's ports, with every port SeaweedFS derives from them, stay out of Linux's ephemeral range
// for any DP_TEST_PORT_OFFSET: a port there can be taken as the local port of some outgoing connection.
import * as fs from 'node:fs';
import { derivedPorts } from '../../../lib/config';
import { MAX_TEST_PORT_OFFSET, TEST_PORT_OFFSET, TEST_PORTS, TEST_SOURCE_PORT } from './test-platform';

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
    // TEST_PORTS carry this run's offset; what counts is the base port shifted by the largest one allowed.
    const inRange = Object.entries(all).filter(
      ([, port]) => port - TEST_PORT_OFFSET + MAX_TEST_PORT_OFFSET >= start,
    );
    expect(inRange).toEqual([]);
  });
});
