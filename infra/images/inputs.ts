// An image's inputs: the repository files its Dockerfile copies, the files staged from outside the repository,
// and their fingerprint. The hash decides whether an archive is current, so a warm `dp images build` skips work.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FileEntry {
  /** Path relative to the tree's root, with forward slashes. */
  rel: string;
  abs: string;
  kind: 'file' | 'symlink';
}

/** Every file and symlink under `root` (or `root` itself when it is a file), sorted, skipping `skip`. */
export function listTree(root: string, skip: (rel: string) => boolean = () => false): FileEntry[] {
  const out: FileEntry[] = [];
  const walk = (abs: string, rel: string) => {
    if (rel && skip(rel)) return;
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out.push({ rel, abs, kind: 'symlink' });
    else if (st.isDirectory())
      for (const name of fs.readdirSync(abs).sort())
        walk(path.join(abs, name), rel ? `${rel}/${name}` : name);
    else if (st.isFile()) out.push({ rel, abs, kind: 'file' });
  };
  walk(root, '');
  return out;
}

/** Generated or machine-local files that never belong in an image's context. */
export function isJunk(rel: string): boolean {
  return rel
    .split('/')
    .some((part) =>
      ['node_modules', '__pycache__', '.venv', 'target', 'logs', 'dbt_packages', '.pytest_cache'].includes(
        part,
      ),
    );
}

/**
 * Fingerprint of repository files: their contents (small, and a touch without a change must not rebuild).
 * Fingerprint of staged trees (JDKs, Go binaries, the rootfs): size and modification time per file, as
 * hashing gigabytes on every warm run would cost seconds for nothing.
 */
export function fingerprint(entries: FileEntry[], mode: 'content' | 'stat'): string {
  const hash = createHash('sha256');
  for (const e of entries) {
    hash.update(`${e.kind}\0${e.rel}\0`);
    if (e.kind === 'symlink') hash.update(fs.readlinkSync(e.abs));
    else if (mode === 'content') hash.update(fs.readFileSync(e.abs));
    else {
      const st = fs.statSync(e.abs);
      hash.update(`${st.size}:${Math.floor(st.mtimeMs)}:${st.mode}`);
    }
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** Copies `entries` (of a tree rooted at `from`) to `to`: hard links when the file system allows, else copies. */
export function stageTree(from: string, entries: FileEntry[], to: string): void {
  const fromRoot = fs.statSync(from).isDirectory() ? from : path.dirname(from);
  for (const e of entries) {
    const dest = e.rel ? path.join(to, e.rel) : to;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (e.kind === 'symlink') {
      const target = fs.readlinkSync(e.abs);
      const resolved = path.resolve(path.dirname(e.abs), target);
      // A link that leaves the tree (Debian's JDK points into /etc) would dangle in the image: copy its target.
      if (path.isAbsolute(target) || !resolved.startsWith(fromRoot + path.sep)) {
        if (!fs.existsSync(resolved)) continue;
        if (fs.statSync(resolved).isDirectory())
          fs.cpSync(resolved, dest, { recursive: true, dereference: true });
        else fs.copyFileSync(resolved, dest);
      } else fs.symlinkSync(target, dest);
      continue;
    }
    try {
      fs.linkSync(e.abs, dest);
    } catch {
      fs.copyFileSync(e.abs, dest);
      fs.chmodSync(dest, fs.statSync(e.abs).mode & 0o7777);
    }
  }
}

/** Hash of several named parts, in the given order. */
export function combine(parts: [string, string][]): string {
  const hash = createHash('sha256');
  for (const [name, value] of parts) hash.update(`${name}=${value}\n`);
  return hash.digest('hex');
}
