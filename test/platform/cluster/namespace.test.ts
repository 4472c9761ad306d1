import {
  assertOwnNamespaces,
  networkSetupCommands,
  NODE_NET_SYSCTLS,
  nsenterArgs,
} from '../../../platform/cluster/namespace';

describe('node namespace', () => {
  test('refuses to configure a process that shares this machine’s namespaces', () => {
    expect(() => assertOwnNamespaces(process.pid)).toThrow(/refusing/);
  });

  test('nsenter enters the holder’s namespaces only', () => {
    expect(nsenterArgs(42, ['ip', 'link'])).toEqual(['-t', '42', '-m', '-n', '--', 'ip', 'link']);
    expect(nsenterArgs(42, ['x'], ['net'])).toEqual(['-t', '42', '-n', '--', 'x']);
  });

  test('ip_forward is set before the gateway end stops forwarding (writing it resets every interface)', () => {
    const keys = NODE_NET_SYSCTLS.map(([k]) => k);
    expect(keys.indexOf('net/ipv4/ip_forward')).toBeLessThan(
      keys.findIndex((k) => k.endsWith('/forwarding')),
    );
    expect(networkSetupCommands()[0]).toEqual(['ip', 'link', 'set', 'lo', 'up']);
  });
});
