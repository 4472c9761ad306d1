// The Dockerfiles under images/: multi-stage, pinned bases, non-root, every copied path present in its
// build context, entrypoints that exist; build-images.sh builds each, with the tags the manifests use.
import * as fs from 'node:fs';
import * as path from 'node:path';
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

function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of list) {
    if (i.op === 'FROM') out.push([]);
    if (out.length) out[out.length - 1].push(i);
  }
  return out;
}

describe('images', () => {
  it('build-images.sh builds every folder of images/', () => {
    const dirs = fs
      .readdirSync(path.join(REPO, 'images'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
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
        // The flink base image's own entrypoint; the operator runs the jar from /opt/flink/usrlib.
        expect(entry).toEqual([]);
        expect(text).toContain('/opt/flink/usrlib/');
        return;
      }
      if (image.name === 'airflow') {
        // The Airflow base image's entrypoint; the Helm chart picks the command per component.
        expect(entry).toEqual([]);
        return;
      }
      expect(entry.length).toBe(1);
      const [program, ...rest] = entry[0];
      if (image.name === 'worker' || image.name === 'sensor-producer') {
        expect([program, rest[0], rest[1]]).toEqual(['/usr/bin/tini', '--', 'node']);
        expect(rest[2]).toBe('bin/dp.js');
        expect(fs.existsSync(path.join(REPO, 'bin', 'dp.js'))).toBe(true);
        expect(final.some((i) => i.op === 'COPY' && /^bin\s+\.\/bin$/.test(i.args))).toBe(true);
        const command = image.name === 'worker' ? 'worker' : 'sensors';
        const cli = fs
          .readdirSync(path.join(REPO, 'cli'))
          .map((f) => fs.readFileSync(path.join(REPO, 'cli', f), 'utf8'));
        expect(cli.some((src) => src.includes(`command('${command}')`))).toBe(true);
      } else if (image.name === 'trino') {
        expect(program).toBe('/opt/trino/bin/launcher');
        expect(final.some((i) => i.op === 'COPY' && i.args === '--from=fetch /opt/trino /opt/trino')).toBe(
          true,
        );
        expect(text).toContain('/opt/trino/plugin/iceberg');
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
