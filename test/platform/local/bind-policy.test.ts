// Where the local components may listen (platform/local/bind-policy.ts): loopback by default, another host
// only with the user's opt-in, and never for the servers without authentication.
import { bindRefusal, isLoopbackHost, LOOPBACK_ONLY } from '../../../platform/local/bind-policy';

const local = (host: string) => ({ host, exposeOnNetwork: false });
const exposed = (host: string) => ({ host, exposeOnNetwork: true });

describe('the bind policy', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.0.1.1', '::1', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.1.2.3',
      '192.168.0.5',
      '128.0.0.1',
      'example.org',
      '::ffff:7f00:1',
    ]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('lets every component listen on loopback', () => {
    for (const component of ['trino', 'nessie', 'objectstore', 'temporal', 'kafka', 'tlcmirror', 'jupyter']) {
      expect(bindRefusal(component, local('127.0.0.1'))).toBeUndefined();
      expect(bindRefusal(component, local('::1'))).toBeUndefined();
    }
  });

  it('refuses any other host without the opt-in, naming the host and the opt-in', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'lakehouse.example.org']) {
      const refusal = bindRefusal('tlcmirror', local(host));
      expect(refusal).toMatch(/reachable from the network/);
      expect(refusal).toMatch(/exposeOnNetwork/);
      expect(refusal).toMatch(/DP_EXPOSE=1/);
    }
    expect(bindRefusal('trino', local('0.0.0.0'))).toMatch(/every network interface/);
    expect(bindRefusal('trino', local('10.1.2.3'))).toMatch(/listen on 10\.1\.2\.3/);
  });

  it('even with the opt-in, refuses Trino, Nessie and the object store (no authentication)', () => {
    for (const component of ['trino', 'nessie', 'objectstore']) {
      const refusal = bindRefusal(component, exposed('0.0.0.0'));
      expect(refusal).toMatch(new RegExp(`Refusing to start ${component} on every network interface`));
      expect(refusal).toMatch(/authentication/);
    }
    expect(bindRefusal('trino', exposed('10.1.2.3'))).toMatch(/anyone could read, write and drop/);
  });

  it('with the opt-in, lets the components with their own protection listen beyond loopback', () => {
    expect(bindRefusal('tlcmirror', exposed('0.0.0.0'))).toBeUndefined();
    expect(bindRefusal('jupyter', exposed('10.1.2.3'))).toBeUndefined();
    expect(Object.keys(LOOPBACK_ONLY)).not.toContain('tlcmirror');
    expect(Object.keys(LOOPBACK_ONLY)).not.toContain('jupyter');
  });

  it('refuses a host that could break a command line or a properties file', () => {
    for (const host of [
      '127.0.0.1\nhttp-server.http.port=1',
      '127.0.0.1 --x',
      'a;b',
      '-ip=1.2.3.4',
      'host_name',
    ]) {
      expect(bindRefusal('trino', exposed(host))).toMatch(/^Invalid host/);
    }
  });
});
