// The Dockerfiles under images/: multi-stage, pinned bases, non-root, every copied path present in its
// build context, entrypoints that exist; build-images.sh builds each, with the tags the manifests use.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dbtExecutable } from '../../worker/worker';
import { byKind, MANIFESTS, REPO, rendered } from '../infra/k8s/helpers';

interface Image {
  name: string;
  tag: string;
  dockerfile: string;
  context: string;
}

const script = fs.readFileSync(path.join(REPO, 'infra', 'k8s', 'build-images.sh'), 'utf8');
const vars: Record<string, string> = { VERSION: '0.1.0', TRINO_VERSION: '476' };
const images: Image[] = [...script.matchAll(/^\s+"([^|"]+)\|([^|"]+)\|([^|"]+)\|([^|"]+)"$/gm)].map((m) => ({
  name: m[1],
  tag: m[2].replace(/\$\{(\w+)\}/g, (_all, v: string) => vars[v]),
  dockerfile: m[3],
  context: m[4],
}));
const pending = new Set(
  fs
    .readFileSync(path.join(REPO, 'images', 'pending-sources.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#')),
);

interface Instruction {
  op: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The variables ENV instructions set (KEY=value form, several per instruction). */
function envOf(list: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of list.filter((x) => x.op === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** COPY instructions as [options, sources, destination]. */
function copies(list: Instruction[]): { from?: string; sources: string[]; dest: string }[] {
  return list
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
    });
}

/** The stage named `name` (FROM ... AS name). */
function stageNamed(all: Instruction[][], name: string): Instruction[] {
  const stage = all.find((s) => new RegExp(`\\sAS\\s+${name}$`, 'i').test(s[0].args));
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

/** The virtualenv a stage creates (RUN python -m venv <dir>). */
function venvCreated(stage: Instruction[]): string | undefined {
  for (const run of stage.filter((i) => i.op === 'RUN')) {
    const m = /python3? -m venv (\S+)/.exec(run.args);
    if (m) return m[1];
  }
  return undefined;
}

/** The repository's files that a TypeScript entry point imports, transitively. */
function importedFiles(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [path.join(REPO, entry)];
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:from\s+|import\(|require\(|require\.resolve\()\s*'(\.{1,2}\/[^']+)'/g,
    )) {
      const base = path.resolve(path.dirname(file), m[1]);
      const resolved = [`${base}.ts`, path.join(base, 'index.ts'), base].find(
        (f) => fs.existsSync(f) && fs.statSync(f).isFile(),
      );
      if (resolved) pending.push(resolved);
    }
  }
  return [...seen].map((f) => path.relative(REPO, f));
}

function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of list) {
    if (i.op === 'FROM') out.push([]);
    if (out.length) out[out.length - 1].push(i);
  }
  return out;
}

describe('images', () => {
  it('build-images.sh builds every folder of images/ (images/local: the local bases, see infra/images)', () => {
    const dirs = fs
      .readdirSync(path.join(REPO, 'images'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'local')
      .map((d) => d.name);
    expect(images.map((i) => i.name).sort()).toEqual(dirs.sort());
  });

  describe.each(images.map((i) => [i.name, i]))('%s', (_name, image) => {
    const text = fs.readFileSync(path.join(REPO, image.dockerfile), 'utf8');
    const list = instructions(text);
    const args = Object.fromEntries(
      list
        .filter((i) => i.op === 'ARG' && i.args.includes('='))
        .map((i) => i.args.split('=', 2) as [string, string]),
    );
    const all = stages(list);
    const final = all[all.length - 1];

    it('is multi-stage on pinned base images', () => {
      expect(all.length).toBeGreaterThanOrEqual(2);
      const stageNames = new Set(
        list.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+AS\s+/i)[1]),
      );
      for (const from of list.filter((i) => i.op === 'FROM')) {
        const ref = from.args
          .split(/\s+AS\s+/i)[0]
          .replace(/\$\{(\w+)\}/g, (_all, v: string) => args[v] ?? '');
        if (stageNames.has(ref)) continue;
        expect(ref).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
        expect(ref).not.toMatch(/:latest$/);
      }
    });

    it('runs as a non-root user', () => {
      const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
      expect(users.length).toBeGreaterThan(0);
      expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    });

    it('copies only paths that exist in its build context (or are listed as pending)', () => {
      const missing: string[] = [];
      for (const copy of list.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
        const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          const rel = path.posix.normalize(path.posix.join(image.context, src));
          if (!fs.existsSync(path.join(REPO, rel)) && !pending.has(rel)) missing.push(rel);
        }
      }
      expect(missing).toEqual([]);
    });

    it('has an exec-form entrypoint whose program the image provides', () => {
      const entry = final.filter((i) => i.op === 'ENTRYPOINT').map((i) => JSON.parse(i.args) as string[]);
      if (image.name === 'flink-job') {
        // The flink base image's own entrypoint; the operator runs the FlinkDeployment's jarURI, which the
        // runtime stage copies from the build stage's Maven output.
        expect(entry).toEqual([]);
        const [deployment] = byKind(
          rendered(path.join(MANIFESTS, 'overlays', 'dev')).objects,
          'FlinkDeployment',
        );
        const jar = (deployment.spec as { job: { jarURI: string } }).job.jarURI.replace(/^local:\/\//, '');
        const copy = copies(final).find((c) => c.dest === jar);
        expect(copy?.from).toBe('build');
        const workdir = stageNamed(all, 'build').find((i) => i.op === 'WORKDIR')?.args;
        expect(copy?.sources).toEqual([
          expect.stringMatching(new RegExp(`^${workdir}/target/[\\w.-]+\\.jar$`)),
        ]);
        return;
      }
      if (image.name === 'airflow') {
        // The Airflow base image's entrypoint; the Helm chart picks the command per component.
        expect(entry).toEqual([]);
        // The DAG (airflow/dags, the one `dp airflow` runs) calls DP_DBT_EXECUTABLE on the project in
        // DP_DBT_PROJECT_DIR: the image sets both to where it puts the dbt venv and the project.
        const env = envOf(final);
        const venv = venvCreated(stageNamed(all, 'dbt'));
        expect(env.DP_DBT_EXECUTABLE).toBe(`${venv}/bin/dbt`);
        expect(copies(final)).toContainEqual({ from: 'dbt', sources: [venv], dest: venv });
        expect(copies(final)).toContainEqual({
          from: undefined,
          sources: ['dbt'],
          dest: env.DP_DBT_PROJECT_DIR,
        });
        const settings = fs.readFileSync(
          path.join(REPO, 'airflow', 'dags', 'yellow_trips', 'settings.py'),
          'utf8',
        );
        expect(settings).toContain('_env("DP_DBT_EXECUTABLE")');
        expect(settings).toContain('_env("DP_DBT_PROJECT_DIR")');
        // The project's DAG package with its .airflowignore; no DAG of the image's own.
        expect(copies(final)).toContainEqual({
          from: undefined,
          sources: ['airflow/dags'],
          dest: '/opt/airflow/dags',
        });
        expect(fs.existsSync(path.join(REPO, 'airflow', 'dags', '.airflowignore'))).toBe(true);
        expect(fs.existsSync(path.join(REPO, 'images', 'airflow', 'dags'))).toBe(false);
        return;
      }
      expect(entry.length).toBe(1);
      const [program, ...rest] = entry[0];
      if (image.name === 'worker' || image.name === 'sensor-producer') {
        expect([program, rest[0], rest[1]]).toEqual(['/usr/bin/tini', '--', 'node']);
        expect(rest[2]).toBe('bin/dp.js');
        expect(fs.existsSync(path.join(REPO, 'bin', 'dp.js'))).toBe(true);
        // Every source the CLI imports is copied to its place in the working directory (REPO_ROOT).
        expect(final.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
        const copied = copies(final).filter(
          (c) => !c.from && c.sources.length === 1 && c.dest === `./${c.sources[0]}`,
        );
        const missing = importedFiles('cli/main.ts').filter(
          (f) => !copied.some(({ sources: [src] }) => f.startsWith(`${src}/`)),
        );
        expect(missing).toEqual([]);
        expect(copies(final)).toContainEqual({ from: undefined, sources: ['bin'], dest: './bin' });
        if (image.name === 'worker') {
          // The ELT's dbt: the virtualenv the dbt stage builds, where the worker looks for it.
          const env = envOf(final);
          const venv = venvCreated(stageNamed(all, 'dbt'));
          expect(copies(final)).toContainEqual({ from: 'dbt', sources: [venv], dest: venv });
          expect(dbtExecutable(env.DP_CACHE_DIR, env)).toBe(`${venv}/bin/dbt`);
          expect(copies(final)).toContainEqual({ from: undefined, sources: ['dbt'], dest: './dbt' });
        }
        const command = image.name === 'worker' ? 'worker' : 'sensors';
        const cli = fs
          .readdirSync(path.join(REPO, 'cli'))
          .map((f) => fs.readFileSync(path.join(REPO, 'cli', f), 'utf8'));
        expect(cli.some((src) => src.includes(`command('${command}')`))).toBe(true);
      } else if (image.name === 'trino') {
        expect(program).toBe('/opt/trino/bin/launcher');
        expect(copies(final)).toContainEqual({ from: 'fetch', sources: ['/opt/trino'], dest: '/opt/trino' });
        // The fetch stage installs exactly the plugin of the connector the lakehouse catalog names.
        const catalog = fs.readFileSync(path.join(MANIFESTS, 'base', 'trino-catalog.generated.yaml'), 'utf8');
        const connector = /connector\.name=(\w+)/.exec(catalog)?.[1];
        const fetchRuns = stageNamed(all, 'fetch')
          .filter((i) => i.op === 'RUN')
          .map((i) => i.args)
          .join(' && ');
        const plugins = [...fetchRuns.matchAll(/\bmv\s+\S+\s+\/opt\/trino\/plugin\/(\S+)/g)].map((m) => m[1]);
        expect(plugins).toEqual([connector]);
      } else if (image.name === 'jupyter') {
        expect(program).toBe('jupyter');
        expect(fs.readFileSync(path.join(REPO, 'images', 'jupyter', 'requirements.txt'), 'utf8')).toMatch(
          /^jupyterlab==/m,
        );
      }
    });
  });

  it('the manifests use the images build-images.sh tags', () => {
    const built = new Set(images.map((i) => `lakehouse/${i.name}:${i.tag}`));
    const used = new Set<string>();
    const visit = (value: unknown, key?: string): void => {
      if (typeof value === 'string' && key === 'image' && value.startsWith('lakehouse/')) used.add(value);
      else if (Array.isArray(value)) value.forEach((v) => visit(v));
      else if (typeof value === 'object' && value !== null)
        for (const [k, v] of Object.entries(value)) visit(v, k);
    };
    visit(rendered(path.join(MANIFESTS, 'overlays', 'dev')).objects);
    expect([...used].filter((u) => !built.has(u))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(4);
    expect(
      byKind(rendered(path.join(MANIFESTS, 'overlays', 'production')).objects, 'Deployment').every(
        (d) =>
          JSON.stringify(d).includes('registry.example.com/lakehouse/') ||
          !JSON.stringify(d).includes('lakehouse/'),
      ),
    ).toBe(true);
  });
});
