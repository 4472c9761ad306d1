// `npm test`: every test of the project, ordered so that a cold machine's long builds overlap the tests that
// do not need them.
//
// 1. in the foreground: the platform's components and the manifests' tools (dp install --manifests: the unit
//    tests render and validate the manifests), then the Flink job (mvn package: its tests, then the jar the
//    stream tests run);
// 2. in the background, at idle CPU priority: kube-apiserver and etcd (dp install --kubernetes), then the
//    cluster's binaries with Prometheus and KEDA (dp install --cluster) and the images the cluster tests run
//    (dp images build with the local cluster's images; the Airflow image is left out). Go compiling Kubernetes takes
//    tens of minutes on a cold cache; idle priority keeps it behind the tests, though on a 2-core VM it still
//    slows them (README, Development: measured cold runs);
// 3. jest's unit, workflow and integration projects;
// 4. the kubernetes project once the API server is built, then the cluster project once everything is.
//
// On a warm machine step 2 only checks its stamps. The closing line sums the jest runs.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/config';
import { formatSeconds } from '../lib/progress';
import { LOCAL_OVERLAY_IMAGES } from '../infra/images/plan';

const DP = [process.execPath, path.join(REPO_ROOT, 'bin', 'dp.js')];
const JEST = [process.execPath, require.resolve('jest/bin/jest')];
const FIRST_PROJECTS = ['unit', 'workflows', 'integration'];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const started = Date.now();
function say(message: string): void {
  process.stdout.write(`[test] ${message} (${formatSeconds(Date.now() - started)})\n`);
}

/**
 * Runs a step in the foreground; true when it exits 0. Asynchronous on purpose: a blocking spawnSync would
 * stop the event loop, so the background build's next step could not start until the foreground one ended.
 */
async function foreground(
  title: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  say(title);
  const status = await new Promise<number | string | null>((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, stdio: 'inherit', env });
    child.on('error', (error) => {
      say(`${title}: ${error.message}`);
      resolve(null);
    });
    child.on('exit', (code, signal) => resolve(code ?? signal));
  });
  if (status === 0) return true;
  say(`${title}: FAILED (exit ${status})`);
  return false;
}

/** chrt --idle where util-linux has it (the scheduler runs it only on otherwise idle CPU), else nice 19. */
function idlePriority(argv: string[]): string[] {
  const chrt = spawnSync('chrt', ['--idle', '0', 'true']);
  return chrt.status === 0 ? ['chrt', '--idle', '0', ...argv] : ['nice', '-n', '19', ...argv];
}

interface BackgroundBuild {
  log: string;
  /** kube-apiserver and etcd are built: the kubernetes project can run. */
  apiServer: Promise<boolean>;
  /** Everything else too (the cluster's binaries, the images): the cluster project can run. */
  all: Promise<boolean>;
}

/** The Kubernetes tests' tools and images, built one after the other at idle priority, output to a log. */
function startBackgroundBuild(logDir: string): BackgroundBuild {
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, 'kubernetes-build.log');
  const out = fs.openSync(log, 'w');
  const step = async (args: string[]): Promise<boolean> => {
    const argv = idlePriority([...DP, ...args]);
    fs.writeSync(out, `$ dp ${args.join(' ')}\n`);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
      child.on('error', (error) => {
        fs.writeSync(out, `${error.message}\n`);
        resolve(null);
      });
      child.on('exit', (status) => resolve(status));
    });
    return code === 0;
  };
  const apiServer = step(['install', '--kubernetes']);
  const all = (async () =>
    (await apiServer) &&
    (await step(['install', '--cluster'])) &&
    (await step(['images', 'build', ...LOCAL_OVERLAY_IMAGES])))();
  void all.finally(() => fs.closeSync(out));
  say(`building the Kubernetes tests' tools and images in the background at idle priority; log: ${log}`);
  return { log, apiServer, all };
}

/** The last lines of a log, for a failure's message. */
function tail(file: string, lines: number): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** One jest run over some projects; its counts come back through the summary reporter's file. */
async function jest(projects: string[], summaryFile: string): Promise<Counts | undefined> {
  fs.rmSync(summaryFile, { force: true });
  await foreground(
    `jest --selectProjects ${projects.join(' ')}`,
    [...JEST, '--selectProjects', ...projects],
    {
      ...process.env,
      DP_TEST_SUMMARY_FILE: summaryFile,
    },
  );
  if (!fs.existsSync(summaryFile)) return undefined;
  return JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Counts;
}

async function main(): Promise<number> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-test-run-'));
  // The unit tests render and validate the manifests: kustomize and the schemas come first (a minute or two).
  if (
    !(await foreground('installing the platform (dp install --manifests)', [...DP, 'install', '--manifests']))
  )
    return 1;
  const flinkOk = await foreground('the Flink job: its tests, then its jar (mvn package)', [
    'mvn',
    '-B',
    '-q',
    '-f',
    path.join(REPO_ROOT, 'flink', 'pom.xml'),
    'package',
  ]);
  const background = startBackgroundBuild(path.join(REPO_ROOT, '.dp', 'test-logs'));

  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (c: Counts | undefined, what: string) => {
    if (!c) {
      say(`${what}: jest gave no summary`);
      counts.failed += 1;
      return;
    }
    counts.passed += c.passed;
    counts.failed += c.failed;
    counts.skipped += c.skipped;
  };
  add(await jest(FIRST_PROJECTS, path.join(work, 'first.json')), FIRST_PROJECTS.join(', '));

  // The kubernetes project needs only the API server, built first; the cluster project needs everything.
  const later: [string, Promise<boolean>][] = [
    ['kubernetes', background.apiServer],
    ['cluster', background.all],
  ];
  for (const [project, ready] of later) {
    say(`${project}: waiting for the background build`);
    if (await ready) {
      add(await jest([project], path.join(work, `${project}.json`)), project);
    } else {
      say(
        `the background build FAILED; the ${project} tests cannot run. Its log ends:\n${tail(background.log, 40)}`,
      );
      counts.failed += 1;
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
  if (!flinkOk) counts.failed += 1;
  process.stdout.write(
    `\nTests: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}\n`,
  );
  say('done');
  return counts.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
