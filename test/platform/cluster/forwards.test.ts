import {
  forwardSocket,
  parseForwards,
  parseForwardSpec,
  parseTarget,
  withForward,
} from '../../../platform/cluster/forwards';

describe('cluster forwards', () => {
  test('parses a list and refuses duplicate names or host ports', () => {
    const list = [
      { name: 'kube-apiserver', hostPort: 16443, target: '10.201.0.2:6443' },
      { name: 'trino', hostPort: 18080, target: 'trino.dp.svc.cluster.local:8080' },
    ];
    expect(parseForwards(JSON.stringify(list))).toEqual(list);
    expect(() => parseForwards(JSON.stringify([list[0], { ...list[1], name: 'kube-apiserver' }]))).toThrow(
      /twice/,
    );
    expect(() => parseForwards(JSON.stringify([list[0], { ...list[1], hostPort: 16443 }]))).toThrow(/twice/);
    expect(() => parseForwards('{}')).toThrow(/array/);
  });

  test('validates names, ports and targets', () => {
    expect(parseTarget('10.96.0.1:443')).toEqual({ host: '10.96.0.1', port: 443 });
    expect(() => parseTarget('10.96.0.1')).toThrow(/host:port/);
    expect(() => parseTarget('a b:80')).toThrow();
    expect(() => parseTarget('x:70000')).toThrow();
    expect(() => parseForwardSpec('Bad_Name=1:x:1')).toThrow(/name/);
    expect(() => parseForwardSpec('../x=1:x:1')).toThrow(/name/);
    expect(parseForwardSpec('s3=18333:objectstore.dp.svc.cluster.local:8333')).toEqual({
      name: 's3',
      hostPort: 18333,
      target: 'objectstore.dp.svc.cluster.local:8333',
    });
  });

  test('adding a forward replaces one of the same name and refuses a taken host port', () => {
    const a = { name: 'a', hostPort: 1000, target: '10.0.0.1:80' };
    expect(withForward([a], { ...a, target: '10.0.0.2:80' })).toEqual([{ ...a, target: '10.0.0.2:80' }]);
    expect(() => withForward([a], { name: 'b', hostPort: 1000, target: '10.0.0.1:81' })).toThrow(/already/);
  });

  test('socket paths must fit a Unix socket address', () => {
    expect(forwardSocket('/tmp/x', 'api')).toBe('/tmp/x/api.sock');
    expect(() => forwardSocket('/' + 'd'.repeat(110), 'api')).toThrow(/107 bytes/);
  });
});
