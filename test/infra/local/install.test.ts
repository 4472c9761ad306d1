import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mavenRepoPath, verifyMavenFile } from '../../../infra/local/install';
import { mavenCoordinate, mavenFileName, NESSIE_RUNNER } from '../../../infra/local/versions';

describe('installer checks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-verify-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a file is verified against the sha1 Maven stored beside it', async () => {
    const file = path.join(dir, 'a.jar');
    fs.writeFileSync(file, 'jar bytes');
    expect(await verifyMavenFile(file)).toBe('no-checksum');
    fs.writeFileSync(`${file}.sha1`, createHash('sha1').update('jar bytes').digest('hex') + '  a.jar\n');
    expect(await verifyMavenFile(file)).toBe('ok');
    fs.writeFileSync(file, 'jar byte');
    expect(await verifyMavenFile(file)).toBe('mismatch');
    expect(await verifyMavenFile(path.join(dir, 'missing.jar'))).toBe('missing');
  });

  test('Maven coordinates and repository paths include the classifier', () => {
    expect(mavenCoordinate(NESSIE_RUNNER)).toBe('org.projectnessie.nessie:nessie-quarkus:0.99.0:jar:runner');
    expect(mavenFileName(NESSIE_RUNNER)).toBe('nessie-quarkus-0.99.0-runner.jar');
    expect(mavenRepoPath(NESSIE_RUNNER, '/m2')).toBe(
      '/m2/org/projectnessie/nessie/nessie-quarkus/0.99.0/nessie-quarkus-0.99.0-runner.jar',
    );
  });
});
