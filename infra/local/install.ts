// The local installer: builds or fetches every component into the cache (~/.cache/dp by default).
//
// Each step writes a stamp file only after it completed, into a folder that is renamed into place last,
// so an interrupted install resumes at the step it stopped at and never uses a half-built tool.
// Maven's own checksum files verify every jar and archive; a file that no longer matches is fetched again.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, type PlatformConfig } from '../../lib/config';
import { run } from '../../lib/exec';
import { formatBytes, formatSeconds, type Reporter } from '../../lib/progress';
import { withInstallLock } from './install-lock';
import { checkPrerequisites, findJavaHome } from './prereqs';
import {
  KAFKA,
  KAFKA_LOGGING,
  KAFKA_MIN_JAVA,
  mavenCoordinate,
  mavenFileName,
  NESSIE_MIN_JAVA,
  NESSIE_RUNNER,
  PYTHON_DBT,
  SEAWEEDFS,
  TEMPORAL_CLI,
  TRINO_MIN_JAVA,
  TRINO_PLUGINS,
  TRINO_SERVER,
  TRINO_VERSION,
  type MavenArtifact,
} from './versions';

/** Where each installed tool lives; computed from the cache dir alone, so `dp` can find them without installing. */
export function toolPaths(cacheDir: string) {
  const tools = path.join(cacheDir, 'tools');
  const dbtHash = createHash('sha256')
    .update(fs.readFileSync(path.join(REPO_ROOT, PYTHON_DBT.requirementsFile)))
    .digest('hex')
    .slice(0, 12);
  return {
    temporal: path.join(tools, `temporal-${TEMPORAL_CLI.version}`, 'temporal'),
    weed: path.join(tools, `seaweedfs-${SEAWEEDFS.version}`, 'weed'),
    trinoHome: path.join(tools, `trino-${TRINO_VERSION}`),
    nessieJar: path.join(tools, `nessie-${NESSIE_RUNNER.version}`, mavenFileName(NESSIE_RUNNER)),
    dbtVenv: path.join(cacheDir, 'venvs', `dbt-${dbtHash}`),
    /** Holds lib/ (the broker's jar, its runtime dependencies and a logging binding). */
    kafkaHome: path.join(tools, `kafka-${KAFKA.version}`),
  };
}

export function mavenRepoLocal(): string {
  return process.env.DP_MAVEN_REPO_LOCAL ?? path.join(os.homedir(), '.m2', 'repository');
}

export function mavenRepoPath(a: MavenArtifact, repoLocal = mavenRepoLocal()): string {
  return path.join(repoLocal, ...a.groupId.split('.'), a.artifactId, a.version, mavenFileName(a));
}

export function sha1File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha1');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** 'ok' when the file matches the checksum Maven recorded beside it, otherwise why not. */
export async function verifyMavenFile(file: string): Promise<'ok' | 'missing' | 'no-checksum' | 'mismatch'> {
  if (!fs.existsSync(file)) return 'missing';
  const sumFile = `${file}.sha1`;
  if (!fs.existsSync(sumFile)) return 'no-checksum';
  const expected = fs.readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0].toLowerCase();
  return (await sha1File(file)) === expected ? 'ok' : 'mismatch';
}

/**
 * Fetches one artifact with Maven into its local repository and verifies it against Maven's checksum.
 * A corrupt or partial file (left by a crash or a bad disk) is deleted and fetched again once.
 */
export async function fetchMavenArtifact(
  artifact: MavenArtifact,
  report: Reporter,
  repoLocal = mavenRepoLocal(),
): Promise<string> {
  const file = mavenRepoPath(artifact, repoLocal);
  const coordinate = mavenCoordinate(artifact);
  for (let attempt = 1; attempt <= 2; attempt++) {
    const state = await verifyMavenFile(file);
    if (state === 'ok') return file;
    if (state !== 'missing') {
      report(
        'install',
        `${path.basename(file)}: ${state === 'mismatch' ? 'checksum mismatch' : state}; fetching it again`,
      );
      fs.rmSync(file, { force: true });
      fs.rmSync(`${file}.sha1`, { force: true });
    }
    report('install', `fetching ${coordinate} with Maven`);
    await run(
      'mvn',
      [
        '-B',
        `-Dmaven.repo.local=${repoLocal}`,
        'dependency:get',
        `-Dartifact=${coordinate}`,
        '-Dtransitive=false',
        // Fail, rather than warn, when a downloaded file does not match its published checksum.
        '--strict-checksums',
      ],
      {
        component: 'install',
        report,
        showLine: (l) => /Download(ing|ed) from|ERROR/.test(l) && !/\.pom\b/.test(l),
      },
    );
  }
  const final = await verifyMavenFile(file);
  if (final !== 'ok') {
    throw new Error(
      `${coordinate}: the fetched file still fails verification (${final}). Check the disk and retry.`,
    );
  }
  return file;
}

interface Stamp {
  version: string;
}

function readStamp(dir: string): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, '.dp-installed.json'), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function writeStamp(dir: string, version: string) {
  fs.writeFileSync(path.join(dir, '.dp-installed.json'), JSON.stringify({ version }));
}

/** Builds `finalDir` in a sibling temp folder and renames it into place only when `build` succeeded. */
export async function installDir(
  finalDir: string,
  version: string,
  build: (tmpDir: string) => Promise<void>,
) {
  if (readStamp(finalDir)?.version === version) return false;
  const tmpDir = `${finalDir}.partial`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  await build(tmpDir);
  writeStamp(tmpDir, version);
  fs.rmSync(finalDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, finalDir);
  return true;
}

// Go's own module and build caches (~/go/pkg/mod, ~/.cache/go-build) make a rebuild after a version change fast.
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-mod=readonly' };
}

/** Go prints one line per compiled package with -v: show every 40th, so a cold build visibly advances. */
export function goProgress(): (line: string) => boolean {
  let packages = 0;
  return (line) => {
    if (/^go: downloading/.test(line)) return false;
    packages += 1;
    return packages % 40 === 0;
  };
}

async function installTemporal(cacheDir: string, report: Reporter) {
  const target = toolPaths(cacheDir).temporal;
  const built = await installDir(path.dirname(target), TEMPORAL_CLI.version, async (tmp) => {
    report(
      'install',
      `temporal: building ${TEMPORAL_CLI.module}@${TEMPORAL_CLI.version} with Go (minutes on a cold cache)`,
    );
    await run('go', ['install', '-v', `${TEMPORAL_CLI.module}@${TEMPORAL_CLI.version}`], {
      component: 'install',
      report,
      env: { ...goEnv(), GOBIN: tmp, GOFLAGS: '' },
      showLine: goProgress(),
    });
  });
  report('install', `temporal: ${built ? 'built' : 'cached'} ${target}`);
}

async function installSeaweed(cacheDir: string, report: Reporter) {
  const target = toolPaths(cacheDir).weed;
  const built = await installDir(path.dirname(target), SEAWEEDFS.version, async (tmp) => {
    report(
      'install',
      `object store: building SeaweedFS ${SEAWEEDFS.version} with Go (minutes on a cold cache)`,
    );
    await run('go', ['build', '-v', '-o', path.join(tmp, 'weed'), SEAWEEDFS.package], {
      cwd: path.join(REPO_ROOT, 'infra', 'local', 'seaweedfs'),
      component: 'install',
      report,
      env: goEnv(),
      showLine: goProgress(),
    });
  });
  report('install', `object store: ${built ? 'built' : 'cached'} ${target}`);
}

async function installNessie(cacheDir: string, report: Reporter) {
  const target = toolPaths(cacheDir).nessieJar;
  const built = await installDir(path.dirname(target), NESSIE_RUNNER.version, async (tmp) => {
    const jar = await fetchMavenArtifact(NESSIE_RUNNER, report);
    fs.copyFileSync(jar, path.join(tmp, path.basename(target)));
  });
  report('install', `nessie: ${built ? 'installed' : 'cached'} ${target}`);
}

async function installTrino(cacheDir: string, report: Reporter) {
  const home = toolPaths(cacheDir).trinoHome;
  const version = [TRINO_SERVER, ...TRINO_PLUGINS].map(mavenCoordinate).join(',');
  const built = await installDir(home, version, async (tmp) => {
    const tarball = await fetchMavenArtifact(TRINO_SERVER, report);
    report(
      'install',
      `trino: unpacking ${path.basename(tarball)} (${formatBytes(fs.statSync(tarball).size)})`,
    );
    await run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1'], { component: 'install', report });
    for (const plugin of TRINO_PLUGINS) {
      const zip = await fetchMavenArtifact(plugin, report);
      report(
        'install',
        `trino: unpacking plugin ${path.basename(zip)} (${formatBytes(fs.statSync(zip).size)})`,
      );
      const unpacked = path.join(tmp, 'plugin', '.unpack');
      await run('unzip', ['-q', '-o', zip, '-d', unpacked], { component: 'install', report });
      // The zip holds one folder named <artifactId>-<version>; the server wants plugin/<name>/.
      const [inner] = fs.readdirSync(unpacked);
      const name = plugin.artifactId.replace(/^trino-/, '');
      fs.renameSync(path.join(unpacked, inner), path.join(tmp, 'plugin', name));
      fs.rmSync(unpacked, { recursive: true, force: true });
    }
  });
  report('install', `trino: ${built ? 'installed' : 'cached'} ${home}`);
}

async function installDbt(cacheDir: string, python: string, report: Reporter) {
  const venv = toolPaths(cacheDir).dbtVenv;
  const requirements = path.join(REPO_ROOT, PYTHON_DBT.requirementsFile);
  // A virtualenv hard-codes its own path, so it is built in place; the stamp, written last, marks it whole.
  if (readStamp(venv)?.version === path.basename(venv)) {
    report('install', `dbt: cached ${venv}`);
    return;
  }
  fs.rmSync(venv, { recursive: true, force: true });
  report('install', 'dbt: creating the Python virtualenv and installing dbt-core + dbt-trino');
  await run(python, ['-m', 'venv', venv], { component: 'install', report });
  await run(path.join(venv, 'bin', 'pip'), ['install', '--progress-bar', 'off', '-r', requirements], {
    component: 'install',
    report,
    showLine: (l) => /^(Collecting|Successfully|ERROR)/.test(l),
  });
  writeStamp(venv, path.basename(venv));
  report('install', `dbt: installed ${venv}`);
}

/** The tiny Maven project whose runtime dependencies are the Kafka broker's class path. */
export function kafkaPom(): string {
  const dependency = (a: MavenArtifact) =>
    `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId>` +
    `<version>${a.version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Generated by dp: resolves the Kafka broker and its runtime dependencies. -->',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.dp</groupId>',
    '  <artifactId>kafka-runtime</artifactId>',
    `  <version>${KAFKA.version}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    ...[KAFKA, ...KAFKA_LOGGING].map(dependency),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(prefix, entry.name);
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), rel) : [rel];
  });
}

async function installKafka(cacheDir: string, report: Reporter) {
  const home = toolPaths(cacheDir).kafkaHome;
  const version = [KAFKA, ...KAFKA_LOGGING].map(mavenCoordinate).join(',');
  const built = await installDir(home, version, async (tmp) => {
    const repoLocal = mavenRepoLocal();
    const pomDir = path.join(cacheDir, 'maven', `kafka-${KAFKA.version}`);
    fs.mkdirSync(pomDir, { recursive: true });
    const pom = path.join(pomDir, 'pom.xml');
    fs.writeFileSync(pom, kafkaPom());
    const staged = path.join(tmp, '.staged');
    report('install', `kafka: resolving ${mavenCoordinate(KAFKA)} and its runtime dependencies with Maven`);
    await run(
      'mvn',
      [
        '-B',
        '-f',
        pom,
        `-Dmaven.repo.local=${repoLocal}`,
        // Fail, rather than warn, when a downloaded file does not match its published checksum.
        '--strict-checksums',
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        // Repository layout, so each copy can be checked against the checksum Maven stored beside it.
        '-Dmdep.useRepositoryLayout=true',
        `-DoutputDirectory=${staged}`,
      ],
      {
        component: 'install',
        report,
        showLine: (l) => /Download(ing|ed) from|ERROR/.test(l) && !/\.pom\b/.test(l),
      },
    );
    const lib = path.join(tmp, 'lib');
    fs.mkdirSync(lib);
    const jars = listFiles(staged).filter((f) => f.endsWith('.jar'));
    for (const rel of jars) {
      const copy = path.join(staged, rel);
      const state = await verifyMavenFile(path.join(repoLocal, rel));
      const sumFile = path.join(repoLocal, `${rel}.sha1`);
      const expected =
        state === 'ok' ? fs.readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0].toLowerCase() : '';
      if (state !== 'ok' || (await sha1File(copy)) !== expected) {
        throw new Error(
          `kafka: ${rel} fails verification against Maven's checksum (${state}). ` +
            `Delete ${path.dirname(path.join(repoLocal, rel))} and run dp install again.`,
        );
      }
      fs.renameSync(copy, path.join(lib, path.basename(rel)));
    }
    fs.rmSync(staged, { recursive: true, force: true });
    if (!jars.some((rel) => path.basename(rel) === mavenFileName(KAFKA))) {
      throw new Error(`kafka: Maven did not resolve ${mavenFileName(KAFKA)}; see the output above.`);
    }
    report('install', `kafka: ${jars.length} jars verified`);
  });
  report('install', `kafka: ${built ? 'installed' : 'cached'} ${home}`);
}

export interface InstallResult {
  seconds: number;
}

/** Installs everything the embedded platform needs. Idempotent; a warm run only checks stamps. */
export async function installAll(config: PlatformConfig, report: Reporter): Promise<InstallResult> {
  return withInstallLock(config.cacheDir, report, () => installAllComponents(config, report));
}

async function installAllComponents(config: PlatformConfig, report: Reporter): Promise<InstallResult> {
  const started = Date.now();
  const { python } = checkPrerequisites();
  // Fail early, before minutes of building, when a JDK is missing.
  findJavaHome(TRINO_MIN_JAVA);
  findJavaHome(NESSIE_MIN_JAVA);
  findJavaHome(KAFKA_MIN_JAVA);
  fs.mkdirSync(config.cacheDir, { recursive: true });
  await installNessie(config.cacheDir, report);
  await installTrino(config.cacheDir, report);
  await installKafka(config.cacheDir, report);
  await installDbt(config.cacheDir, python, report);
  await installTemporal(config.cacheDir, report);
  await installSeaweed(config.cacheDir, report);
  const seconds = (Date.now() - started) / 1000;
  report('install', `all components ready (${formatSeconds(Date.now() - started)})`);
  return { seconds };
}
