// The installer against the real Maven registry, in a throw-away local repository.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchMavenArtifact, mavenRepoPath, sha1File, verifyMavenFile } from '../../../infra/local/install';
import type { MavenArtifact } from '../../../infra/local/versions';

// A small, stable artifact stands in for the large ones (same code path).
const ARTIFACT: MavenArtifact = {
  groupId: 'junit',
  artifactId: 'junit',
  version: '4.13.2',
  packaging: 'jar',
};

describe('Maven downloads', () => {
  let repo: string;
  const messages: string[] = [];
  const report = (_c: string, m: string) => messages.push(m);

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-m2-'));
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('a fetched artifact matches the checksum Maven published', async () => {
    const file = await fetchMavenArtifact(ARTIFACT, report, repo);
    expect(file).toBe(mavenRepoPath(ARTIFACT, repo));
    const published = fs.readFileSync(`${file}.sha1`, 'utf8').trim().slice(0, 40);
    expect(await sha1File(file)).toBe(published);
  });

  test('a corrupt file is detected and fetched again', async () => {
    const file = mavenRepoPath(ARTIFACT, repo);
    const good = await sha1File(file);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(await verifyMavenFile(file)).toBe('mismatch');

    await fetchMavenArtifact(ARTIFACT, report, repo);
    expect(messages.some((m) => /checksum mismatch; fetching it again/.test(m))).toBe(true);
    expect(await sha1File(file)).toBe(good);
  });

  test('a partial (truncated) download is detected and fetched again', async () => {
    const file = mavenRepoPath(ARTIFACT, repo);
    const good = await sha1File(file);
    fs.truncateSync(file, 1000);
    expect(await verifyMavenFile(file)).toBe('mismatch');
    await fetchMavenArtifact(ARTIFACT, report, repo);
    expect(await sha1File(file)).toBe(good);
  });
});
