// `dp images build [--import] [names...]`: the images the Kubernetes manifests need, built with buildah on a
// machine without a registry or Docker engine (infra/images), each as an OCI archive under the cache;
// --import loads them into the local cluster's containerd.
import * as path from 'node:path';
import type { Command } from 'commander';
import { clusterToolPaths } from '../infra/cluster/install';
import { localClusterPaths } from '../infra/cluster/layout';
import { buildImages, importArchive } from '../infra/images/build';
import { IMAGES } from '../infra/images/plan';
import { loadConfig } from '../lib/config';
import { consoleReporter, formatBytes, formatSeconds } from '../lib/progress';
import { formatTable } from './format';

export function registerImageCommands(program: Command) {
  const images = program.command('images').description('container images for the Kubernetes target');
  images
    .command('build')
    .description(
      `build images with buildah into OCI archives (skipped when unchanged); names: ${IMAGES.map((i) => i.name).join(', ')}`,
    )
    .argument('[names...]', 'images to build (with the bases they need); all when none')
    .option('--import', "then import the archives into the local cluster's containerd (k8s.io)")
    .option('--force', 'rebuild even when the inputs are unchanged')
    .option('--ctr <path>', "the ctr binary for --import (default: $DP_CTR, else the local cluster's)")
    .action(async (names: string[], options: { import?: boolean; force?: boolean; ctr?: string }) => {
      const config = loadConfig();
      const started = Date.now();
      const ctr = options.ctr ?? process.env.DP_CTR ?? clusterToolPaths(config.cacheDir).ctr;
      const built = await buildImages(config.cacheDir, names, consoleReporter, { force: options.force });
      if (options.import) {
        const socket = localClusterPaths(config.home).containerdSocket;
        for (const image of built.filter((b) => !b.spec.base))
          await importArchive(ctr, socket, image, consoleReporter);
      }
      console.log(
        formatTable(
          ['image', 'size', 'time', ''],
          built.map((b) => [
            b.spec.ref,
            formatBytes(b.bytes),
            formatSeconds(b.seconds * 1000),
            b.cached ? 'cached' : 'built',
          ]),
        ),
      );
      console.log(
        `\n${built.length} images in ${formatSeconds(Date.now() - started)}; archives in ${built[0] ? path.dirname(built[0].archive) : '-'}`,
      );
    });
}
