// The image build plan: order (bases first), argument substitution, context sources, the local-image table,
// and every Dockerfile declaring the base ARGs the plan sets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aptMirror, archiveRef, normalizedName } from '../../../infra/images/build';
import {
  buildArgs,
  buildOrder,
  contextSources,
  declaredArgs,
  hasSyntaxDirective,
  IMAGES,
  LOCAL_IMAGE_MAP,
  localImageOverrides,
  missingArgs,
  NOT_BUILT_LOCALLY,
  splitRef,
  UnknownImageError,
} from '../../../infra/images/plan';
import { REPO_ROOT } from '../../../lib/config';

describe('image build plan', () => {
  it('puts each base before the images built on it, once', () => {
    const names = buildOrder(['worker', 'trino']).map((s) => s.name);
    expect(names).toEqual(['base-debian', 'base-node', 'base-python', 'worker', 'base-jdk25', 'trino']);
  });

  it('builds every non-base image when no name is given, and rejects unknown names', () => {
    const all = buildOrder([]);
    expect(all.filter((s) => !s.base).map((s) => s.name)).toEqual(
      IMAGES.filter((s) => !s.base).map((s) => s.name),
    );
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
    expect(() => buildOrder(['nope'])).toThrow(UnknownImageError);
  });

  it('substitutes the local bases through the build ARGs', () => {
    const worker = IMAGES.find((s) => s.name === 'worker');
    expect(buildArgs(worker!)).toEqual({
      NODE_IMAGE: 'localhost/dp-local/node:20-bookworm',
      PYTHON_IMAGE: 'localhost/dp-local/python:3-bookworm',
    });
  });

  it.each(IMAGES.map((s) => [s.name, s] as const))(
    '%s: its Dockerfile declares the ARGs, has no syntax directive and copies what exists',
    (_name, spec) => {
      const text = fs.readFileSync(path.join(REPO_ROOT, spec.dockerfile), 'utf8');
      expect(missingArgs(spec, text)).toEqual([]);
      expect(hasSyntaxDirective(text)).toBe(false);
      const staged = new Set((spec.staged ?? []).map((s) => s.as));
      for (const src of contextSources(text).filter((s) => !staged.has(s)))
        expect(fs.existsSync(path.join(REPO_ROOT, spec.context, src))).toBe(true);
    },
  );

  it('reads COPY and ADD sources from the context, not from other stages', () => {
    const text = [
      'FROM a AS b',
      'COPY package.json package-lock.json ./',
      'COPY --chown=1:1 ./dbt/ /opt/dbt',
      'COPY --from=b /x /y',
      'ADD rootfs.tar /',
      'COPY ["a b", "/c"]',
      'RUN cp x \\',
      '  y',
    ].join('\n');
    expect(contextSources(text)).toEqual(['package.json', 'package-lock.json', 'dbt', 'rootfs.tar', 'a b']);
    expect(declaredArgs('ARG A=1\narg B\nFROM ${A}')).toEqual(['A', 'B']);
    expect(hasSyntaxDirective('# syntax=docker/dockerfile:1.7\nFROM x')).toBe(true);
    expect(hasSyntaxDirective('# a comment\n# syntax=x')).toBe(false);
  });

  it('maps each upstream image the base manifests name to its local equivalent', () => {
    expect(LOCAL_IMAGE_MAP).toEqual({
      'postgres:17.6-bookworm': 'lakehouse/postgres:15-local',
      'ghcr.io/projectnessie/nessie:0.99.0': 'lakehouse/nessie:0.99.0-local',
      'chrislusf/seaweedfs:3.97': 'lakehouse/seaweedfs:3.97-local',
    });
    expect(localImageOverrides()).toContainEqual({
      name: 'ghcr.io/projectnessie/nessie',
      newName: 'lakehouse/nessie',
      newTag: '0.99.0-local',
    });
    // The base and the components the overlays add.
    const dirs = [
      'base',
      ...fs.readdirSync(path.join(REPO_ROOT, 'infra/manifests/components')).map((c) => `components/${c}`),
    ].map((d) => path.join(REPO_ROOT, 'infra', 'manifests', d));
    const used = dirs.flatMap((dir) =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) =>
          [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/image:\s*(\S+)/g)].map((m) => m[1]),
        ),
    );
    const built = new Set(IMAGES.map((s) => s.ref));
    expect(used.filter((u) => !built.has(u) && !(u in LOCAL_IMAGE_MAP))).toEqual(NOT_BUILT_LOCALLY);
  });

  it('names images as the kubelet resolves them', () => {
    expect(splitRef('localhost:5000/a/b:1')).toEqual({ name: 'localhost:5000/a/b', tag: '1' });
    expect(splitRef('a/b')).toEqual({ name: 'a/b', tag: 'latest' });
    expect(normalizedName('lakehouse/worker')).toBe('docker.io/lakehouse/worker');
    expect(normalizedName('postgres')).toBe('docker.io/library/postgres');
    expect(normalizedName('ghcr.io/projectnessie/nessie')).toBe('ghcr.io/projectnessie/nessie');
    expect(archiveRef('lakehouse/trino:476-0.1.0')).toBe('docker.io/lakehouse/trino:476-0.1.0');
  });

  it("finds apt's bookworm mirror in deb822 and one-line sources", () => {
    const deb822 = [
      'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main',
      'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main',
    ].join('\n\n');
    expect(aptMirror(deb822)).toBe('http://mirror.example/debian');
    expect(aptMirror('deb [arch=amd64] http://m.example/debian bookworm main\n')).toBe(
      'http://m.example/debian',
    );
    expect(aptMirror('')).toBeUndefined();
  });
});
