import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  configuredPortName,
  DEFAULT_PORTS,
  derivedPorts,
  explicitTlcBaseUrl,
  loadConfig,
  portEnvVar,
} from '../../lib/config';

function tempHome(config?: unknown): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-config-'));
  if (config !== undefined) fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  return home;
}

describe('platform config', () => {
  test('default ports never collide, including the derived gRPC ports', () => {
    const all = Object.values({ ...DEFAULT_PORTS, ...derivedPorts(DEFAULT_PORTS) });
    expect(new Set(all).size).toBe(all.length);
    // The collisions the design calls out: Trino vs Airflow, Nessie management vs S3 servers' 9000.
    expect(DEFAULT_PORTS.trino).not.toBe(DEFAULT_PORTS.airflow);
    expect(all).not.toContain(9000);
  });

  test('config.json overrides defaults and the environment overrides config.json', () => {
    const home = tempHome({ ports: { trino: 18080, nessie: 18120 } });
    const config = loadConfig({ DP_HOME: home, DP_PORT_TRINO: '18081' });
    expect(config.ports.trino).toBe(18081);
    expect(config.ports.nessie).toBe(18120);
    expect(config.ports.s3).toBe(DEFAULT_PORTS.s3);
    expect(config.home).toBe(home);
  });

  test('binds loopback unless told, and exposing it takes an explicit opt-in', () => {
    const plain = loadConfig({ DP_HOME: tempHome() });
    expect(plain.host).toBe('127.0.0.1');
    expect(plain.exposeOnNetwork).toBe(false);
    expect(loadConfig({ DP_HOME: tempHome({ exposeOnNetwork: true }) }).exposeOnNetwork).toBe(true);
    expect(loadConfig({ DP_HOME: tempHome(), DP_EXPOSE: '1' }).exposeOnNetwork).toBe(true);
    expect(loadConfig({ DP_HOME: tempHome({ exposeOnNetwork: 'yes' }) }).exposeOnNetwork).toBe(false);
  });

  test('source hosts come from config.json and DP_SOURCE_ALLOWED_HOSTS together', () => {
    const config = loadConfig({
      DP_HOME: tempHome({ sourceAllowedHosts: ['files.example.org'] }),
      DP_SOURCE_ALLOWED_HOSTS: ' 127.0.0.1:9000, ,data.example.org ',
    });
    expect(config.sourceAllowedHosts).toEqual(['files.example.org', '127.0.0.1:9000', 'data.example.org']);
    expect(loadConfig({ DP_HOME: tempHome() }).sourceAllowedHosts).toEqual([]);
    expect(() => loadConfig({ DP_HOME: tempHome({ sourceAllowedHosts: 'files.example.org' }) })).toThrow(
      /Invalid sourceAllowedHosts in .*config\.json: use a list/,
    );
  });

  test("the CLI's own DP_TLC_BASE_URL is told apart from the default", () => {
    expect(explicitTlcBaseUrl({})).toBeUndefined();
    expect(explicitTlcBaseUrl({ DP_TLC_BASE_URL: '' })).toBeUndefined();
    expect(explicitTlcBaseUrl({ DP_TLC_BASE_URL: 'http://127.0.0.1:8190' })).toBe('http://127.0.0.1:8190');
  });

  test('an invalid port is rejected with where it came from', () => {
    expect(() => loadConfig({ DP_HOME: tempHome(), DP_PORT_TRINO: 'eighty' })).toThrow(
      /Invalid port for trino in DP_PORT_TRINO: eighty/,
    );
    expect(() => loadConfig({ DP_HOME: tempHome({ ports: { s3: 70000 } }) })).toThrow(/Invalid port for s3/);
  });

  test('two components on one port is a configuration error', () => {
    expect(() => loadConfig({ DP_HOME: tempHome({ ports: { trino: 8333 } }) })).toThrow(
      /Port 8333 is configured for both/,
    );
    // A derived port counts too: filer 8888 + 10000 = 18888.
    expect(() => loadConfig({ DP_HOME: tempHome({ ports: { trino: 18888 } }) })).toThrow(/18888/);
  });

  test('a broken config.json says which file to fix', () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, 'config.json'), '{ports:');
    expect(() => loadConfig({ DP_HOME: home })).toThrow(new RegExp(`Cannot parse ${home}/config.json`));
  });

  test('port names map to environment variables and derived ports to their source', () => {
    expect(portEnvVar('temporalUi')).toBe('DP_PORT_TEMPORAL_UI');
    expect(configuredPortName('seaweedFilerGrpc')).toBe('seaweedFiler');
    expect(configuredPortName('s3Grpc')).toBe('s3');
    expect(configuredPortName('trino')).toBe('trino');
  });
});
