import { apiServerSans, certSpecs, extensions, subject } from '../../../infra/cluster/pki';

describe('local cluster PKI', () => {
  test("the API server's certificate names the host's forward, the node and the kubernetes Service", () => {
    const sans = apiServerSans();
    expect(sans.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '10.201.0.2', '10.96.0.1']));
    expect(sans.dnsNames).toEqual(
      expect.arrayContaining(['kubernetes.default.svc.cluster.local', 'localhost']),
    );
    const ext = extensions(certSpecs().find((s) => s.name === 'apiserver')!);
    expect(ext).toContain('extendedKeyUsage = serverAuth');
    expect(ext).toMatch(/subjectAltName = .*IP:127\.0\.0\.1/);
  });

  test('client certificates carry the user and group RBAC knows each component by', () => {
    const byName = Object.fromEntries(certSpecs().map((s) => [s.name, s]));
    expect(subject(byName.kubelet)).toBe('/O=system:nodes/CN=system:node:dp-node');
    expect(subject(byName.admin)).toBe('/O=system:masters/CN=dp-admin');
    expect(subject(byName['kube-proxy'])).toBe('/CN=system:kube-proxy');
    expect(extensions(byName.admin)).not.toContain('subjectAltName');
  });

  test('refuses values that would change the meaning of an openssl argument', () => {
    expect(() => subject({ name: 'x', commonName: 'a/CN=b', usage: ['client'] })).toThrow(/unsupported/);
    expect(() =>
      extensions({ name: 'x', commonName: 'x', usage: ['server'], ipAddresses: ['1.2.3.999'] }),
    ).toThrow();
    expect(() =>
      extensions({ name: 'x', commonName: 'x', usage: ['server'], dnsNames: ['a,IP:1.1.1.1'] }),
    ).toThrow();
  });
});
