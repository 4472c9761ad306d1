// `dp images build`: each image of the plan (bases first) built with buildah from a staged context, written
// to one OCI archive under the cache, and skipped when its inputs' hash matches the archive's stamp.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { run, runLines } from '../../lib/exec';
import { formatSeconds, type Reporter } from '../../lib/progress';
import { fetchMavenArtifact, toolPaths } from '../local/install';
import { clusterToolPaths } from '../cluster/install';
import { STREAM_JAR } from '../local/flink-job';
import { Buildah, buildahStore, checkPrerequisites, imagesCacheDir } from './buildah';
import { combine, fingerprint, isJunk, listTree, stageTree, type FileEntry } from './inputs';
import {
  assertSafeName,
  buildArgs,
  buildOrder,
  contextSources,
  hasSyntaxDirective,
  IMAGES,
  missingArgs,
  type ExternalSource,
  type ImageSpec,
} from './plan';

export interface BuiltImage {
  spec: ImageSpec;
  archive: string;
  bytes: number;
  seconds: number;
  cached: boolean;
}

interface Stamp {
  hash: string;
  ref: string;
  seconds: number;
}

/** The mirror apt uses (first deb.debian.org-like URI of a bookworm source), for debootstrap. */
export function aptMirror(sourcesText: string): string | undefined {
  for (const block of sourcesText.split(/\n\s*\n/)) {
    const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1];
    if (uri && /^Suites:.*\bbookworm\b(?!-)/m.test(block)) return uri;
  }
  const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(sourcesText);
  return line?.[1];
}

function readAptSources(): string {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (fs.existsSync(dir)) files.push(...fs.readdirSync(dir).map((f) => path.join(dir, f)));
  return files
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n\n');
}

/** debootstrap's minbase bookworm as one tarball, made once per cache (about a minute). */
async function debianRootfs(cacheDir: string, report: Reporter): Promise<string> {
  const dir = path.join(imagesCacheDir(cacheDir), 'bases');
  const tarball = path.join(dir, 'debian-bookworm-minbase.tar');
  if (fs.existsSync(tarball)) return tarball;
  const mirror = aptMirror(readAptSources()) ?? 'http://deb.debian.org/debian';
  if (!/^https?:\/\/[\w.:/-]+$/.test(mirror))
    throw new Error(`images: apt mirror "${mirror}" is not a plain URL`);
  const root = path.join(dir, 'debian-bookworm-minbase');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  report('base-debian', `debootstrap --variant=minbase bookworm from ${mirror} (about a minute)`);
  await run('debootstrap', ['--variant=minbase', 'bookworm', root, mirror], {
    component: 'base-debian',
    report,
    showLine: (l) => /^I: (Retrieving|Extracting|Configuring) (Release|base|apt)/.test(l) || /^E:/.test(l),
  });
  // apt's downloaded lists and packages are of no use in an image.
  for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists'])
    for (const f of fs.readdirSync(path.join(root, sub)))
      if (f.endsWith('.deb') || f.endsWith('_Packages') || f.endsWith('Release') || f.endsWith('.gpg'))
        fs.rmSync(path.join(root, sub, f), { force: true });
  await run('tar', ['--numeric-owner', '--xattrs', '-C', root, '-cf', `${tarball}.partial`, '.'], {
    component: 'base-debian',
    report,
  });
  fs.renameSync(`${tarball}.partial`, tarball);
  fs.rmSync(root, { recursive: true, force: true });
  return tarball;
}

/** The absolute path behind an external source; fails with what to run when the installer has not made it. */
async function resolveExternal(source: ExternalSource, cacheDir: string, report: Reporter): Promise<string> {
  if (source.kind === 'debian-rootfs') return debianRootfs(cacheDir, report);
  if (source.kind === 'maven') return fetchMavenArtifact(source.artifact, report);
  if (source.kind === 'stream-jar') {
    if (!fs.existsSync(STREAM_JAR))
      throw new Error(
        `images: ${STREAM_JAR} is missing; build the Flink job first: \`npx dp stream build\`.`,
      );
    return STREAM_JAR;
  }
  const file =
    source.kind === 'host'
      ? source.path
      : source.kind === 'cluster-tool'
        ? clusterToolPaths(cacheDir)[source.tool]
        : toolPaths(cacheDir)[source.tool];
  if (!fs.existsSync(file))
    throw new Error(
      source.kind === 'host'
        ? `images: ${file} is missing on this machine; the local bases copy it (see images/local/).`
        : `images: ${file} is missing; run \`npx dp install${source.kind === 'cluster-tool' ? ' --cluster' : ''}\` first (it builds/fetches ${source.tool}).`,
    );
  return file;
}

/** The repository files a spec's Dockerfile copies from its context (generated files left out). */
function repoEntries(spec: ImageSpec, dockerfileText: string): { src: string; entries: FileEntry[] }[] {
  const contextDir = path.join(REPO_ROOT, spec.context);
  const staged = new Set((spec.staged ?? []).map((s) => s.as));
  return contextSources(dockerfileText)
    .filter((src) => !staged.has(src))
    .map((src) => {
      const abs = path.join(contextDir, src);
      if (!abs.startsWith(path.resolve(REPO_ROOT) + path.sep) || !fs.existsSync(abs))
        throw new Error(`images: ${spec.dockerfile} copies ${src}, which is not in ${spec.context}`);
      return { src, entries: listTree(abs, isJunk) };
    });
}

interface Prepared {
  hash: string;
  repo: { src: string; entries: FileEntry[] }[];
  external: { as: string; from: string; entries: FileEntry[] }[];
  dockerfile: string;
}

async function prepare(
  spec: ImageSpec,
  cacheDir: string,
  baseHashes: Map<string, string>,
  report: Reporter,
): Promise<Prepared> {
  const dockerfile = path.join(REPO_ROOT, spec.dockerfile);
  const text = fs.readFileSync(dockerfile, 'utf8');
  if (hasSyntaxDirective(text))
    throw new Error(
      `images: ${spec.dockerfile} starts with a # syntax= line, which would pull a frontend image`,
    );
  const missing = missingArgs(spec, text);
  if (missing.length > 0)
    throw new Error(`images: ${spec.dockerfile} declares no ARG ${missing.join(', ')} (the local base ARGs)`);
  const repo = repoEntries(spec, text);
  const external: Prepared['external'] = [];
  for (const s of spec.staged ?? []) {
    const from = await resolveExternal(s.source, cacheDir, report);
    external.push({ as: s.as, from, entries: listTree(from) });
  }
  const hash = combine([
    ['dockerfile', text],
    ['args', JSON.stringify(buildArgs(spec))],
    ...Object.values(spec.bases).map((b): [string, string] => [`base:${b}`, baseHashes.get(b) ?? 'unbuilt']),
    ...repo.map((r): [string, string] => [`repo:${r.src}`, fingerprint(r.entries, 'content')]),
    ...external.map((e): [string, string] => [`staged:${e.as}`, fingerprint(e.entries, 'stat')]),
  ]);
  return { hash, repo, external, dockerfile };
}

/** A fresh context holding exactly what the Dockerfile copies. */
function stageContext(spec: ImageSpec, prepared: Prepared, dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const contextDir = path.join(REPO_ROOT, spec.context);
  for (const r of prepared.repo) stageTree(path.join(contextDir, r.src), r.entries, path.join(dir, r.src));
  for (const e of prepared.external) stageTree(e.from, e.entries, path.join(dir, e.as));
}

function readStamp(file: string): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

export function archivePath(cacheDir: string, name: string): string {
  return path.join(imagesCacheDir(cacheDir), 'archives', `${assertSafeName(name, 'image name')}.oci.tar`);
}

/** Builds the images named (all when none), bases first; returns each image's archive, size and time. */
export async function buildImages(
  cacheDir: string,
  names: string[],
  report: Reporter,
  options: { force?: boolean } = {},
): Promise<BuiltImage[]> {
  checkPrerequisites();
  const order = buildOrder(names, IMAGES);
  const buildah = new Buildah(buildahStore(cacheDir), report);
  const hashes = new Map<string, string>();
  const results: BuiltImage[] = [];
  fs.mkdirSync(path.join(imagesCacheDir(cacheDir), 'archives'), { recursive: true });
  for (const [index, spec] of order.entries()) {
    const component = `image ${spec.name}`;
    const started = Date.now();
    const prepared = await prepare(spec, cacheDir, hashes, report);
    hashes.set(spec.name, prepared.hash);
    const archive = archivePath(cacheDir, spec.name);
    const stampFile = `${archive}.json`;
    const stamp = readStamp(stampFile);
    const current =
      !options.force && stamp?.hash === prepared.hash && stamp.ref === spec.ref && fs.existsSync(archive);
    if (current) {
      // Later images build FROM a base: it must be in the store, not only in its archive.
      const needed = order.slice(index + 1).some((s) => Object.values(s.bases).includes(spec.name));
      if (needed && !(await buildah.exists(spec.ref))) {
        report(component, `restoring ${spec.ref} from its archive`);
        await buildah.pullArchive(component, archive, spec.ref);
      }
      const bytes = fs.statSync(archive).size;
      report(component, `${spec.ref}: up to date (${formatSize(bytes)})`);
      results.push({ spec, archive, bytes, seconds: (Date.now() - started) / 1000, cached: true });
      continue;
    }
    report(component, `building ${spec.ref} (${index + 1}/${order.length})`);
    const context = path.join(imagesCacheDir(cacheDir), 'contexts', spec.name);
    stageContext(spec, prepared, context);
    await buildah.bud(component, spec.ref, prepared.dockerfile, context, buildArgs(spec));
    if (spec.smoke) {
      const out = await buildah.smoke(component, spec.ref, spec.smoke);
      report(component, `runs: ${spec.smoke.join(' ')} -> ${out.trim().split('\n')[0] ?? ''}`);
    }
    await buildah.pushArchive(component, spec.ref, archive, archiveRef(spec.ref));
    fs.rmSync(context, { recursive: true, force: true });
    const seconds = (Date.now() - started) / 1000;
    fs.writeFileSync(
      stampFile,
      JSON.stringify({ hash: prepared.hash, ref: spec.ref, seconds } satisfies Stamp),
    );
    const bytes = fs.statSync(archive).size;
    report(component, `built ${spec.ref}: ${formatSize(bytes)} in ${formatSeconds(seconds * 1000)}`);
    results.push({ spec, archive, bytes, seconds, cached: false });
  }
  return results;
}

function formatSize(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/**
 * Imports an archive into the cluster's containerd (namespace k8s.io) under the image's own name, where the
 * kubelet finds it with imagePullPolicy IfNotPresent.
 */
export async function importArchive(
  ctr: string,
  socket: string,
  image: BuiltImage,
  report: Reporter,
): Promise<void> {
  if (!fs.existsSync(ctr))
    throw new Error(`images: no ctr at ${ctr}; set DP_CTR or build the cluster's tools`);
  if (!fs.existsSync(socket))
    throw new Error(`images: no containerd socket at ${socket}; is the cluster up?`);
  const component = `image ${image.spec.name}`;
  // A re-import of an unchanged image copies hundreds of MiB for nothing: skip it when containerd already
  // holds the archive's manifest under the image's name.
  const manifest = archiveManifestDigest(image.archive);
  const listed = await runLines(ctr, [
    '-n',
    'k8s.io',
    '--address',
    socket,
    'images',
    'ls',
    `name==${archiveRef(image.spec.ref)}`,
  ]);
  if (listed.code === 0 && manifest && listed.output.includes(manifest)) {
    report(component, `${image.spec.ref} is already in containerd (k8s.io)`);
    return;
  }
  // The archive's index names the image by its full reference; --base-name makes ctr keep that repository
  // whichever way its version reads the OCI ref.name annotation.
  const { name } = splitName(image.spec.ref);
  const { code, output } = await runLines(ctr, [
    '-n',
    'k8s.io',
    '--address',
    socket,
    'images',
    'import',
    '--base-name',
    normalizedName(name),
    image.archive,
  ]);
  if (code !== 0) throw new Error(`images: ctr import of ${image.archive} failed (exit ${code}):\n${output}`);
  report(component, `imported ${image.spec.ref} into containerd (k8s.io)`);
}

/** The digest of the (single) manifest an OCI archive's index.json lists; undefined if unreadable. */
export function archiveManifestDigest(archive: string): string | undefined {
  try {
    const index = JSON.parse(
      execFileSync('tar', ['-xOf', archive, 'index.json'], { encoding: 'utf8', maxBuffer: 1 << 20 }),
    ) as { manifests?: { digest?: string }[] };
    return index.manifests?.[0]?.digest;
  } catch {
    return undefined;
  }
}

/** The name an archive's index gives the image: the reference the kubelet resolves. */
export function archiveRef(ref: string): string {
  const { name, tag } = splitName(ref);
  return `${normalizedName(name)}:${tag}`;
}

function splitName(ref: string): { name: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/')
    ? { name: ref.slice(0, at), tag: ref.slice(at + 1) }
    : { name: ref, tag: 'latest' };
}

/** docker.io/library normalisation, as the kubelet spells image names to containerd. */
export function normalizedName(name: string): string {
  const first = name.split('/')[0];
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}
