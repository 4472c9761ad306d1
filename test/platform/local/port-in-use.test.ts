import { PortInUseError, type PortConflict } from '../../../platform/local/supervisor';

const conflict = (c: Partial<PortConflict>): PortConflict => ({
  component: 'trino',
  label: 'Trino',
  portName: 'trino',
  port: 8080,
  configFile: '/home/me/.dp/config.json',
  envVar: 'DP_PORT_TRINO',
  ...c,
});

describe('PortInUseError', () => {
  test('one taken port: names it, its component, its setting and its variable', () => {
    const message = new PortInUseError([conflict({})]).message;
    expect(message).toMatch(/^Port 8080 \(trino\), needed by Trino, is already in use/);
    expect(message).toMatch(
      /Stop that program, or give the component other ports: set "ports": \{"trino": <free port>\}/,
    );
    expect(message).toMatch(/or the environment variable DP_PORT_TRINO\.$/);
  });

  test('several taken ports: every setting is named; a derived gRPC port names the port it follows', () => {
    const message = new PortInUseError([
      conflict({
        component: 'objectstore',
        label: 'object store (SeaweedFS S3)',
        portName: 'seaweedMasterGrpc',
        port: 19333,
        envVar: 'DP_PORT_SEAWEED_MASTER',
      }),
      conflict({}),
    ]).message;
    expect(message).toMatch(/Port 19333 \(seaweedMasterGrpc\), needed by object store/);
    expect(message).toMatch(/Port 8080 \(trino\), needed by Trino/);
    expect(message).toMatch(/set "ports": \{"seaweedMaster": <free port>, "trino": <free port>\}/);
    expect(message).toMatch(/environment variables DP_PORT_SEAWEED_MASTER, DP_PORT_TRINO\.$/);
  });
});
