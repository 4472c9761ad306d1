// Debian's buildah, rootful and daemonless, with its storage in the project's cache. Every build runs with
// chroot isolation and the host network: no bridge, no NAT rule, no ip_forward on the machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandFailed, run, runLines } from '../../lib/exec';
import type { Reporter } from '../../lib/progress';

export interface BuildahStore {
  root: string;
  runroot: string;
  driver: 'overlay' | 'vfs';
}

export function imagesCacheDir(cacheDir: string): string {
  return path.join(cacheDir, 'images');
}

export function buildahStore(cacheDir: string): BuildahStore {
  const dir = imagesCacheDir(cacheDir);
  // DP_IMAGES_STORAGE_DRIVER=vfs where overlay mounts are not allowed (slower, more disk).
  const driver = process.env.DP_IMAGES_STORAGE_DRIVER === 'vfs' ? 'vfs' : 'overlay';
  return { root: path.join(dir, `storage-${driver}`), runroot: path.join(dir, 'run'), driver };
}

function globalFlags(store: BuildahStore): string[] {
  return ['--root', store.root, '--runroot', store.runroot, '--storage-driver', store.driver];
}

/** Fails with what to install when a program the builds need is missing. */
export function checkPrerequisites(): void {
  const needed: [string, string][] = [
    ['buildah', 'buildah'],
    ['runc', 'runc'],
    ['debootstrap', 'debootstrap'],
  ];
  const dirs = (process.env.PATH ?? '/usr/bin').split(':').concat(['/usr/sbin', '/sbin']);
  const missing = needed.filter(([program]) => !dirs.some((d) => fs.existsSync(path.join(d, program))));
  if (missing.length > 0)
    throw new Error(
      `images: ${missing.map(([p]) => p).join(', ')} not found. Install the Debian packages: ` +
        `apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`,
    );
  if (process.getuid && process.getuid() !== 0)
    throw new Error('images: buildah runs rootful here (chroot isolation); run dp images build as root.');
}

export class Buildah {
  constructor(
    readonly store: BuildahStore,
    readonly report: Reporter,
  ) {
    fs.mkdirSync(store.root, { recursive: true });
    fs.mkdirSync(store.runroot, { recursive: true });
  }

  private async buildah(component: string, args: string[], show = true): Promise<string> {
    return run('buildah', [...globalFlags(this.store), ...args], {
      component,
      report: show ? this.report : () => undefined,
      env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
    });
  }

  /** Builds `dockerfile` in `context` as `ref`; shows the build's steps (STEP lines and errors). */
  async bud(
    component: string,
    ref: string,
    dockerfile: string,
    context: string,
    args: Record<string, string>,
  ): Promise<void> {
    const buildArgs = Object.entries(args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    const output = await runLines(
      'buildah',
      [
        ...globalFlags(this.store),
        'bud',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--pull=never',
        '--layers',
        '--format',
        'oci',
        '-f',
        dockerfile,
        '-t',
        ref,
        ...buildArgs,
        context,
      ],
      {
        env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
        onLine: (line) => {
          if (/^STEP \d+\/\d+|^\[\d+\/\d+\] STEP|error|Error/.test(line)) this.report(component, line);
        },
      },
    );
    if (output.code !== 0)
      throw new CommandFailed(
        `buildah bud -f ${dockerfile} -t ${ref} ${context}`,
        output.code,
        output.output,
      );
  }

  async exists(ref: string): Promise<boolean> {
    const { code } = await runLines('buildah', [
      ...globalFlags(this.store),
      'inspect',
      '--type',
      'image',
      ref,
    ]);
    return code === 0;
  }

  /** Writes `ref` to an OCI archive whose index names it `ref` (what `ctr images import` reads). */
  async pushArchive(component: string, ref: string, archive: string, nameInArchive: string): Promise<void> {
    const partial = `${archive}.partial`;
    fs.rmSync(partial, { force: true });
    await this.buildah(
      component,
      ['push', '--quiet', '--disable-compression', ref, `oci-archive:${partial}:${nameInArchive}`],
      false,
    );
    fs.renameSync(partial, archive);
  }

  /** Loads an archive back into the store (the store was wiped but the archive is current). */
  async pullArchive(component: string, archive: string, ref: string): Promise<void> {
    await this.buildah(component, ['pull', '--quiet', `oci-archive:${archive}`], false);
    const { code } = await runLines('buildah', [
      ...globalFlags(this.store),
      'inspect',
      '--type',
      'image',
      ref,
    ]);
    if (code !== 0) throw new Error(`images: ${archive} did not restore ${ref}`);
  }

  /** Runs `command` in a throw-away container of `ref`, as the image's user; returns its output. */
  async smoke(component: string, ref: string, command: string[]): Promise<string> {
    const container = (await this.buildah(component, ['from', '--pull=never', '--quiet', ref], false)).trim();
    try {
      return await this.buildah(
        component,
        ['run', '--isolation', 'chroot', '--network', 'host', container, '--', ...command],
        false,
      );
    } finally {
      await runLines('buildah', [...globalFlags(this.store), 'rm', container]);
    }
  }
}
