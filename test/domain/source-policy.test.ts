// The worker's source allow-list (domain/source-policy.ts): which URLs it fetches, and what a refusal says.
import {
  allowedOrigin,
  checkSourceAllowed,
  isAllowed,
  SOURCE_NOT_ALLOWED,
  SourceNotAllowed,
  sourceOrigin,
} from '../../domain/source-policy';

const TLC = 'https://d37ci6vzurychx.cloudfront.net';
const ALLOWED = [TLC, 'http://127.0.0.1:28200', 'files.example.org', 'data.example.org:8443'].map(
  allowedOrigin,
);

function refusal(url: string): SourceNotAllowed {
  try {
    checkSourceAllowed(url, ALLOWED);
  } catch (err) {
    return err as SourceNotAllowed;
  }
  throw new Error(`${url} was allowed`);
}

describe('source origins', () => {
  it('takes scheme, host and port, with the default port of each scheme', () => {
    expect(sourceOrigin(`${TLC}/trip-data/yellow_tripdata_2025-03.parquet`)).toEqual({
      scheme: 'https',
      host: 'd37ci6vzurychx.cloudfront.net',
      port: 443,
      defaultPort: true,
    });
    expect(sourceOrigin('HTTP://Files.Example.ORG.:8080?x=1')).toEqual({
      scheme: 'http',
      host: 'files.example.org',
      port: 8080,
      defaultPort: false,
    });
    expect(sourceOrigin('http://[::1]:9000/a').host).toBe('[::1]');
  });

  it('refuses other schemes, user info, bad hosts and ports', () => {
    expect(() => sourceOrigin('file:///etc/passwd')).toThrow(/only http:\/\/ and https:\/\//);
    expect(() => sourceOrigin('ftp://files.example.org/x')).toThrow(/only http/);
    expect(() => sourceOrigin('gopher://127.0.0.1:6379/_x')).toThrow(/only http/);
    expect(() => sourceOrigin(`https://user:pw@${TLC.slice(8)}/x`)).toThrow(/credentials/);
    expect(() => sourceOrigin('https://files.example.org@169.254.169.254/x')).toThrow(/credentials/);
    expect(() => sourceOrigin('http://files.example.org:99999/x')).toThrow(/Invalid port 99999/);
    expect(() => sourceOrigin('http://-bad.example.org/x')).toThrow(/Invalid host/);
    expect(() => sourceOrigin('http://exa mple.org/x')).toThrow(/Invalid host/);
    expect(() => sourceOrigin('http:\\\\files.example.org\\x')).toThrow(/only http/);
    expect(() => sourceOrigin('not a url')).toThrow(SourceNotAllowed);
  });
});

describe('allow-list entries', () => {
  it('reads base URLs, hosts and host:port', () => {
    expect(allowedOrigin(TLC)).toEqual({ host: 'd37ci6vzurychx.cloudfront.net' });
    expect(allowedOrigin('http://127.0.0.1:28200')).toEqual({ host: '127.0.0.1', port: 28200 });
    expect(allowedOrigin(' Files.Example.org ')).toEqual({ host: 'files.example.org' });
    expect(allowedOrigin('data.example.org:8443')).toEqual({ host: 'data.example.org', port: 8443 });
  });

  it('refuses malformed entries, naming them', () => {
    expect(() => allowedOrigin('*.example.org')).toThrow(/Invalid allowed source host "\*\.example\.org"/);
    expect(() => allowedOrigin('example.org:0')).toThrow(/Invalid port 0/);
    expect(() => allowedOrigin('ftp://example.org')).toThrow(/only http/);
  });
});

describe('the allow-list check', () => {
  it('allows the TLC host, the mirror and the added hosts, on their exact ports', () => {
    for (const url of [
      `${TLC}/trip-data/yellow_tripdata_2025-03.parquet`,
      'https://D37CI6VZURYCHX.cloudfront.net./trip-data/x.parquet',
      'http://127.0.0.1:28200/trip-data/yellow_tripdata_2025-03.parquet',
      'https://files.example.org/2025/03.parquet',
      'http://files.example.org/2025/03.parquet',
      'https://data.example.org:8443/03.parquet',
    ]) {
      expect(checkSourceAllowed(url, ALLOWED)).toBe(url);
    }
  });

  it('refuses another port of an allowed host, and hosts that only look alike', () => {
    for (const url of [
      'http://127.0.0.1:28201/x.parquet',
      'http://127.0.0.1/x.parquet',
      `${TLC}:8443/x.parquet`,
      'https://data.example.org/03.parquet',
      'https://d37ci6vzurychx.cloudfront.net.evil.example/x',
      'https://evil-d37ci6vzurychx.cloudfront.net/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://2130706433:28200/x',
      'http://localhost:28200/x',
    ]) {
      expect(() => checkSourceAllowed(url, ALLOWED)).toThrow(SourceNotAllowed);
    }
  });

  it('names the host and how to allow it', () => {
    const err = refusal('http://169.254.169.254/latest/meta-data/iam');
    expect(err.name).toBe(SOURCE_NOT_ALLOWED);
    expect(err.message).toMatch(/does not fetch from 169\.254\.169\.254:/);
    expect(err.message).not.toMatch(/meta-data/);
    expect(err.message).toMatch(/DP_SOURCE_ALLOWED_HOSTS/);
    expect(err.message).toMatch(/sourceAllowedHosts/);
    expect(refusal('http://127.0.0.1:9/x').message).toMatch(/from 127\.0\.0\.1:9:/);
  });

  it('matches a host without a port on the default port of either scheme only', () => {
    const hostOnly = [allowedOrigin('files.example.org')];
    expect(isAllowed(sourceOrigin('http://files.example.org/x'), hostOnly)).toBe(true);
    expect(isAllowed(sourceOrigin('https://files.example.org/x'), hostOnly)).toBe(true);
    expect(isAllowed(sourceOrigin('https://files.example.org:444/x'), hostOnly)).toBe(false);
    expect(isAllowed(sourceOrigin('https://files.example.org/x'), [])).toBe(false);
  });
});
