// The remembered target on the command line: `dp target [local | k8s [--context C]]`, and what the commands
// that act on the platform (status, query, elt, schedule, logs) use to find it: the saved choice in DP_HOME
// unless `--target` (or DP_TARGET) says otherwise, and the addresses this machine reaches it at.
import type { Client } from '@temporalio/client';
import type { S3Client } from '@aws-sdk/client-s3';
import { Option, type Command } from 'commander';
import { s3Client } from '../clients/s3';
import { ensureS3Credentials } from '../platform/local/credentials';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { localClusterEndpoints } from '../infra/cluster/layout';
import { OVERLAYS } from '../infra/k8s/cluster';
import {
  describeTarget,
  resolveTarget,
  serviceEndpointFor,
  TargetError,
  temporalAddressFor,
  type LocalAddresses,
  type PlatformTarget,
  type ResolvedTarget,
  type TargetChoice,
} from '../platform/target';
import { readSavedTarget, savedTargetOf, targetFile, writeSavedTarget } from '../platform/target-store';
import { endpoints, loadConfig, paths, type PlatformConfig } from '../lib/config';
import { connectClient } from '../worker/connection';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `--target` and `--context` on a command that acts on the remembered target (no defaults: it fills in). */
export function addTargetChoice(command: Command): Command {
  return command
    .addOption(new Option('--target <target>', 'local or k8s (default: the one dp up or dp target chose)'))
    .option('--context <name>', 'kubeconfig context of a Kubernetes target');
}

/** The target a command acts on. */
export function currentTarget(config: PlatformConfig, choice: TargetChoice = {}): ResolvedTarget {
  return resolveTarget(choice, readSavedTarget(config.home));
}

export function localAddresses(config: PlatformConfig): LocalAddresses {
  const e = endpoints(config);
  return { temporal: e.temporal, trino: e.trino, s3: e.s3, nessieApi: e.nessieApi };
}

export function connectTemporal(config: PlatformConfig, resolved: ResolvedTarget): Promise<Client> {
  return connectClient(config, temporalAddressFor(resolved, localAddresses(config)));
}

/** The Temporal UI of the target: the local server's, or the local cluster's through its forwarder. */
export function temporalUiUrl(config: PlatformConfig, resolved: ResolvedTarget): string {
  const t = resolved.target;
  if (t.kind === 'kubernetes' && t.overlay === 'local') return localClusterEndpoints(config.ports).temporalUi;
  return endpoints(config).temporalUi;
}

export function trinoUrl(config: PlatformConfig, resolved: ResolvedTarget): string {
  return serviceEndpointFor(resolved, localAddresses(config), 'trino');
}

/** The platform's object store as this machine reaches it, with its keys and the warehouse bucket. */
export async function objectStore(
  config: PlatformConfig,
  resolved: ResolvedTarget,
): Promise<{ s3: S3Client; bucket: string }> {
  const target = resolved.target;
  if (target.kind === 'local') {
    const secrets = paths(config).secrets;
    if (!fs.existsSync(path.join(secrets, 's3.json'))) {
      throw new TargetError(`No object-store keys in ${secrets}: start the platform first (dp up).`);
    }
    return {
      s3: s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(secrets) }),
      bucket: config.warehouseBucket,
    };
  }
  const endpoint = serviceEndpointFor(resolved, localAddresses(config), 's3');
  // The keys live in the cluster's s3-credentials Secret (read through the API, never saved here).
  const driver = await kubernetesDriverFor(target);
  const e = driver.endpoints();
  return { s3: s3Client({ endpoint, ...e.credentials }), bucket: e.warehouseBucket };
}

/** Saves the target `dp up` brought up; a Kubernetes one with the Temporal address this machine used. */
export function rememberTarget(config: PlatformConfig, target: PlatformTarget): string {
  // The local cluster's Temporal is reached through its forwarder; another cluster's as DP_TEMPORAL_ADDRESS says.
  const temporal =
    target.kind !== 'kubernetes'
      ? undefined
      : target.overlay === 'local'
        ? localClusterEndpoints(config.ports).temporal
        : process.env.DP_TEMPORAL_ADDRESS || undefined;
  writeSavedTarget(config.home, savedTargetOf(target, temporal ? { temporal } : {}));
  return targetFile(config.home);
}

/** What `dp target` prints. */
export function formatTarget(config: PlatformConfig, resolved: ResolvedTarget): string {
  const t = resolved.target;
  const from = {
    option: 'from --target',
    environment: 'from DP_TARGET',
    saved: `saved in ${targetFile(config.home)}`,
    default: 'the default; nothing saved',
  }[resolved.from];
  if (t.kind === 'local') {
    return `local (${from})\n  Temporal  ${temporalAddressFor(resolved, localAddresses(config))}\n  Trino     ${endpoints(config).trino}`;
  }
  const e = t.endpoints;
  return [
    `k8s (${from})`,
    `  Context    ${t.context ?? '(the kubeconfig current context)'}`,
    `  Namespace  ${t.namespace} (overlay ${t.overlay})`,
    `  Temporal   ${temporalAddressFor(resolved, localAddresses(config))}`,
    `  Trino      ${e.trino ?? '-'}`,
    `  S3         ${e.s3 ?? '-'}`,
    `  Nessie     ${e.nessieApi ?? '-'}`,
  ].join('\n');
}

export function registerTargetCommand(program: Command) {
  program
    .command('target')
    .description(
      'print the target the commands act on, or set it: dp target local | dp target k8s [--context C]',
    )
    .argument('[target]', 'local or k8s')
    .option('--context <name>', 'kubeconfig context, with k8s (default: the current context)')
    .addOption(new Option('--overlay <name>', `manifests overlay, with k8s: ${OVERLAYS.join(', ')}`))
    .option('--json', 'print the target as JSON')
    .action((target: string | undefined, options: { context?: string; overlay?: string; json?: boolean }) => {
      const config = loadConfig();
      if (target !== undefined) {
        const resolved = resolveTarget({ target, ...options }, readSavedTarget(config.home), {
          ...process.env,
          DP_TARGET: '',
        });
        writeSavedTarget(
          config.home,
          savedTargetOf(resolved.target, resolved.temporal ? { temporal: resolved.temporal } : {}),
        );
      } else if (options.context || options.overlay) {
        throw new TargetError('--context and --overlay go with a target: dp target k8s --context C.');
      }
      const resolved = currentTarget(config);
      if (options.json) {
        console.log(
          JSON.stringify(
            {
              ...describeTarget(resolved.target),
              from: resolved.from,
              endpoints:
                resolved.target.kind === 'kubernetes' ? resolved.target.endpoints : localAddresses(config),
              temporal: temporalAddressFor(resolved, localAddresses(config)),
            },
            null,
            2,
          ),
        );
      } else console.log(formatTarget(config, resolved));
    });
}
