// The `dp` command: runs and inspects the lakehouse platform.
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { NeedsOperatorError } from '../platform/driver';
import { TrinoClient, TrinoQueryError } from '../clients/trino';
import { installAll } from '../infra/local/install';
import { installClusterTools } from '../infra/cluster/install';
import { installKubeTools, installManifestTools } from '../infra/local/install-kube';
import { installPythonTools } from '../infra/local/install-python-tools';
import { findPython, MissingPrerequisite } from '../infra/local/prereqs';
import { tailFile } from '../lib/process';
import { COMPONENT_LABELS, LOCAL_COMPONENTS, type LocalComponent } from '../platform/local/services';
import { localPlatformStatus, PortInUseError, stopLocalPlatform } from '../platform/local/supervisor';
import { loadConfig, paths } from '../lib/config';
import { consoleReporter, formatSeconds } from '../lib/progress';
import { sleep } from '../lib/time';
import { describeTarget, parseTargetName, TargetError, type TargetChoice } from '../platform/target';
import { StreamNotStandaloneError } from '../platform/k8s/stream';
import { componentPods, UnknownLogComponent } from '../platform/k8s/pod-logs';
import { writePodLogs } from '../clients/kubernetes-logs';
import { currentKubeContext } from '../clients/kubernetes';
import { addTargetChoice, currentTarget, registerTargetCommand, trinoUrl } from './target';
import { registerAirflowCommands } from './airflow';
import { kubeconfigSearchPath } from '../infra/cluster/layout';
import { registerClusterCommands } from './cluster';
import { registerImageCommands } from './images';
import { registerNotebookCommands } from './notebook';
import { eltRunCommand, registerEltCommands } from './elt';
import { registerEltBranchesCommand } from './elt-branches';
import { registerSensorCommands } from './sensors';
import { registerStreamCommands } from './stream';
import { formatFigures, formatTable, resultAsCsv, resultAsJson, resultAsTable } from './format';
import {
  addTargetOptions,
  applyAddons,
  kubernetesStatus,
  kubernetesSummary,
  targetFromOptions,
  type TargetOptions,
} from './kubernetes';
import { endpointSummary, platformUp } from './platform';
import { formatWatchStatus, platformWatchStatus, stopPlatformWatch } from './platform-watch';

// `--context dp-local` resolves through the local cluster's kubeconfig, read after the user's own; the
// worker dp starts inherits the same search path.
try {
  const search = kubeconfigSearchPath(process.env, loadConfig().home, fs.existsSync);
  if (search) process.env.KUBECONFIG = search;
} catch {
  // A broken config.json is reported by the command that reads it.
}

const program = new Command('dp').description(
  'The lakehouse data platform: Temporal, S3, Nessie, Iceberg, Trino',
);

program
  .command('install')
  .description('install (or verify) every component into the cache; idempotent')
  .option(
    '--manifests',
    'also what rendering and validating the Kubernetes manifests needs: kustomize, the schemas',
  )
  .option('--kubernetes', 'also kube-apiserver and etcd (implies --manifests)')
  .option(
    '--cluster',
    "also what `dp cluster up` runs: kubelet and the node's other binaries, containerd, CoreDNS, pause",
  )
  .action(async (options: { manifests?: boolean; kubernetes?: boolean; cluster?: boolean }) => {
    const config = loadConfig();
    const platform = installAll(config, consoleReporter);
    // Built side by side with the platform (their Go builds overlap its downloads); Maven after theirs.
    const afterMaven = platform.catch(() => undefined);
    const kube = options.kubernetes
      ? installKubeTools(config.cacheDir, consoleReporter, afterMaven)
      : options.manifests
        ? installManifestTools(config.cacheDir, consoleReporter, afterMaven)
        : Promise.resolve();
    await Promise.all([
      platform,
      // Airflow's and Jupyter's venvs: installed here (and on demand by dp airflow / dp notebook), not by dp up;
      // their pip downloads overlap the platform's Go builds.
      installPythonTools(config.cacheDir, findPython(), consoleReporter),
      // The cluster's Go builds after the API server's: they share its compiled Kubernetes packages.
      options.cluster ? kube.then(() => installClusterTools(config.cacheDir, consoleReporter)) : kube,
    ]);
  });

addTargetOptions(
  program
    .command('up')
    .description('install what is missing, start the platform and run the bring-up workflow')
    .option('--addons', 'with --target k8s: then apply the Flink job, sensor producer, worker and Jupyter'),
).action(async (options: TargetOptions & { addons?: boolean }) => {
  const config = loadConfig();
  const k8s = parseTargetName(options.target) === 'kubernetes';
  const target = targetFromOptions(options, process.env, k8s ? await currentKubeContext() : undefined);
  if (options.addons && target.kind !== 'kubernetes')
    throw new TargetError('--addons applies to --target k8s only.');
  const started = Date.now();
  await platformUp(config, consoleReporter, target);
  // On the local cluster the Temporal server, the worker and Jupyter are part of the platform, not extras.
  if (target.kind === 'kubernetes' && (options.addons || target.overlay === 'local'))
    await applyAddons(target, consoleReporter);
  console.log(`\nThe platform is up (${formatSeconds(Date.now() - started)}). Every component is healthy:`);
  console.log(
    target.kind === 'kubernetes' ? await kubernetesSummary(config, target) : endpointSummary(config),
  );
});

program
  .command('down')
  .description('stop every component (data stays in DP_HOME)')
  .action(async () => {
    const config = loadConfig();
    // The watch first: it would restart what is stopped below.
    consoleReporter('watch', await stopPlatformWatch(config));
    await stopLocalPlatform(config, consoleReporter);
  });

addTargetOptions(
  program
    .command('status')
    .description('health of each component')
    .option('--json', 'machine-readable output'),
).action(async (options: { json?: boolean } & TargetOptions) => {
  const config = loadConfig();
  const target = currentTarget(config, options).target;
  // The watch runs on the local target only (Kubernetes' controllers restart its pods).
  const watch = target.kind === 'kubernetes' ? undefined : platformWatchStatus(config);
  const health =
    target.kind === 'kubernetes' ? await kubernetesStatus(config, target) : await localPlatformStatus(config);
  const watchStatus = await watch;
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          target: describeTarget(target),
          healthy: health.every((h) => h.healthy),
          components: health,
          ...(watchStatus ? { watch: watchStatus } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    // Processes on this machine have a pid and memory; on Kubernetes, pods and their restarts.
    const k8s = target.kind === 'kubernetes';
    console.log(
      formatTable(
        [
          'component',
          'healthy',
          k8s ? 'pods' : 'pid',
          k8s ? 'restarts' : 'rss',
          'figures',
          'endpoint',
          'detail',
        ],
        health.map((h) => [
          h.component,
          h.healthy ? 'yes' : 'NO',
          k8s ? String(h.pods ?? '-') : h.pid ? String(h.pid) : '-',
          k8s ? String(h.restarts ?? '-') : h.rssMiB !== undefined ? `${h.rssMiB} MiB` : '-',
          formatFigures(h.figures),
          h.endpoint ?? '-',
          h.detail,
        ]),
      ),
    );
    if (watchStatus) console.log(`\n${formatWatchStatus(watchStatus)}`);
  }
  if (!health.every((h) => h.healthy)) process.exitCode = 1;
});

addTargetChoice(
  program
    .command('logs')
    .description('print the log of a component (on Kubernetes: of the pods of its workload)')
    .argument('<component>', `one of ${LOCAL_COMPONENTS.join(', ')}`)
    .option('-n, --lines <n>', 'how many lines from the end', '100')
    .option('-f, --follow', 'keep printing new lines'),
).action(async (component: string, options: { lines: string; follow?: boolean } & TargetChoice) => {
  const lines = Number(options.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`Invalid --lines '${options.lines}'.`);
  const resolved = currentTarget(loadConfig(), options);
  if (resolved.target.kind === 'kubernetes') {
    const pods = componentPods(component, resolved.target.namespace, resolved.target.overlay);
    const shown = await writePodLogs({
      context: resolved.target.context,
      ...pods,
      tailLines: lines,
      follow: Boolean(options.follow),
      out: process.stdout,
    });
    if (shown.length === 0) {
      throw new UsageError(
        `No pods of ${component} in namespace ${pods.namespace} (selector ${pods.labelSelector}). ` +
          'Is it deployed? See dp status.',
      );
    }
    return;
  }
  if (!(LOCAL_COMPONENTS as readonly string[]).includes(component)) {
    throw new UsageError(`Unknown component '${component}'. Use one of: ${LOCAL_COMPONENTS.join(', ')}.`);
  }
  const file = paths(loadConfig()).log(component as LocalComponent);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `${COMPONENT_LABELS[component as LocalComponent]} has no log yet (${file}). Run dp up.`,
    );
  }
  process.stdout.write(tailFile(file, lines) + '\n');
  if (options.follow) {
    let position = fs.statSync(file).size;
    for (;;) {
      await sleep(500);
      const size = fs.statSync(file).size;
      if (size > position) {
        const stream = fs.createReadStream(file, { start: position, end: size - 1 });
        for await (const chunk of stream) process.stdout.write(chunk);
        position = size;
      }
    }
  }
});

addTargetChoice(
  program
    .command('query')
    .description('run SQL on Trino and print the rows')
    .argument('<sql>', 'the statement')
    .addOption(new Option('--json', 'rows as a JSON array of objects').conflicts('csv'))
    .addOption(new Option('--csv', 'rows as CSV with a header line'))
    .option('--catalog <name>', 'default catalog', 'lakehouse')
    .option('--schema <name>', 'default schema'),
).action(
  async (
    sql: string,
    options: { json?: boolean; csv?: boolean; catalog: string; schema?: string } & TargetChoice,
  ) => {
    const config = loadConfig();
    const trino = new TrinoClient(trinoUrl(config, currentTarget(config, options)), {
      catalog: options.catalog,
      schema: options.schema,
    });
    const result = await trino.query(sql);
    if (options.json) console.log(resultAsJson(result));
    else if (options.csv) console.log(resultAsCsv(result));
    else if (result.columns.length > 0) console.log(resultAsTable(result));
    else console.log(result.updateCount !== undefined ? `OK (${result.updateCount} rows)` : 'OK');
  },
);

registerEltBranchesCommand(registerEltCommands(program));
registerTargetCommand(program);
registerSensorCommands(program);
registerStreamCommands(program);
registerAirflowCommands(program);
registerNotebookCommands(program);
registerClusterCommands(program);
registerImageCommands(program);

program
  .command('demo')
  .description('bring the platform up and run the ELT for a 2025 month from the offline TLC mirror')
  .option('--month <YYYY-MM>', 'the month', '2025-03')
  .option('--rows <n>', 'rows of the generated month', '200000')
  .option('--seed <n>', 'seed of the generated month', '20250301')
  .action(async (options: { month: string; rows: string; seed: string }) => {
    const config = loadConfig();
    const started = Date.now();
    await platformUp(config, consoleReporter);
    console.log(`\nThe platform is up (${formatSeconds(Date.now() - started)}):`);
    console.log(endpointSummary(config));
    console.log('');
    await eltRunCommand({
      month: options.month,
      mirror: true,
      rows: options.rows,
      seed: options.seed,
      target: 'local',
    });
  });

program
  .command('worker')
  .description('run the Temporal worker in the foreground (dp up runs it in the background)')
  .option('--home <dir>', 'platform home (default: DP_HOME or <repo>/.dp)')
  .option('--bundle-to <file>', 'only write the bundled workflow code to a file (for DP_WORKFLOW_BUNDLE)')
  .action(async (options: { home?: string; bundleTo?: string }) => {
    if (options.home) process.env.DP_HOME = options.home;
    // Loaded on demand: the worker pulls in every activity, which other commands do not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const worker = require('../worker/worker') as typeof import('../worker/worker');
    if (options.bundleTo) {
      await worker.writeWorkflowBundle(options.bundleTo);
      return;
    }
    await worker.runWorker(loadConfig());
  });

class UsageError extends Error {}

function explain(err: unknown): string {
  if (err instanceof TrinoQueryError) return `Trino: ${err.errorName}: ${err.message}`;
  if (
    err instanceof PortInUseError ||
    err instanceof MissingPrerequisite ||
    err instanceof UsageError ||
    err instanceof NeedsOperatorError ||
    err instanceof TargetError ||
    err instanceof StreamNotStandaloneError ||
    err instanceof UnknownLogComponent
  ) {
    return err.message;
  }
  if (err instanceof Error && err.cause instanceof Error) {
    // Temporal wraps the activity's own error: show the chain down to the root cause.
    const chain: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
    return chain.join('\n  caused by: ');
  }
  if (err instanceof Error) {
    const fix = /ECONNREFUSED|fetch failed|connect/i.test(err.message)
      ? '\nIs the platform running? Start it with `dp up`, check it with `dp status`.'
      : '';
    return `${err.message}${fix}`;
  }
  return String(err);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`dp: ${explain(err)}\n`);
  process.exit(1);
});
