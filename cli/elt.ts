// `dp elt`, `dp schedule` and `dp tlc`: running the monthly Yellow Taxi ELT by hand, on a schedule, and
// against the offline TLC mirror.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { monthRange, pastOrCurrentMonth, supportedMonth, validMonth } from '../domain/months';
import { TrinoClient } from '../clients/trino';
import { ensureMirrorMonth, ensureZoneLookup, startTlcMirror } from '../infra/local/tlc-mirror';
import { tlcMirrorDir } from '../platform/local/services';
import { ensureLocalComponent } from '../platform/local/supervisor';
import { assertBindAllowed } from '../platform/local/bind-policy';
import { endpoints, explicitTlcBaseUrl, loadConfig, type PlatformConfig } from '../lib/config';
import { consoleReporter, formatSeconds } from '../lib/progress';
import { resultWhilePolling } from '../worker/connection';
import type { ResolvedTarget, TargetChoice } from '../platform/target';
import {
  addTargetChoice,
  connectTemporal,
  currentTarget,
  objectStore,
  temporalUiUrl,
  trinoUrl,
} from './target';
import { checkLocalSourceFile, uploadSourceFile } from '../activities/elt/upload-source';
import { InvalidSourceFile } from '../activities/elt/invalid-source-file';
import { looksLikeUrl, MonthSourceError, validSourceUrl } from '../domain/month-source';
import type { AuditReport, MonthlyYellowTripsResult, MonthSource } from '../domain/elt';
import { backfillWorkflowId, SCHEDULE_ID, SCHEDULED_WORKFLOW_ID, workflowIdForMonth } from '../domain/names';
import { backfillProgressQuery, eltProgressQuery } from '../domain/queries';
import { monthlyYellowTrips, scheduledYellowTrips, yellowTripsBackfill } from '../workflows';
import { formatTable, resultAsTable } from './format';
import { failureHeadline, failureTypes, type FailureFacts } from './elt-failure';
import { PIPELINE_STAGE } from '../domain/search-attributes';

/** Rows of a generated mirror month unless --rows says otherwise: a quick demo, not a full month. */
const DEFAULT_MIRROR_ROWS = 200_000;
const DEFAULT_MIRROR_SEED = 20250301;

/** `--mirror`, `--rows` and `--seed`: the commands that can read their months from the offline mirror. */
export interface MirrorOptions {
  mirror?: boolean;
  rows: string;
  seed: string;
}

export function withMirrorOptions(cmd: Command): Command {
  return cmd
    .option('--mirror', 'read the month(s) from the offline TLC mirror (generated on demand)')
    .option('--rows <n>', 'rows of a generated mirror month', String(DEFAULT_MIRROR_ROWS))
    .option('--seed <n>', 'seed of the generated mirror month', String(DEFAULT_MIRROR_SEED));
}

/**
 * The source of the months: the mirror's address after generating them with --mirror, else this command's
 * DP_TLC_BASE_URL when set (the worker may have been started without it), else the worker's own.
 */
export async function mirrorSource(
  config: PlatformConfig,
  months: string[],
  options: MirrorOptions,
): Promise<string | undefined> {
  return options.mirror
    ? prepareMirror(config, months, Number(options.rows), Number(options.seed))
    : explicitTlcBaseUrl();
}

/** Generates the months on the mirror (if missing) and makes sure the mirror serves; returns its URL. */
export async function prepareMirror(
  config: PlatformConfig,
  months: string[],
  rows: number,
  seed: number,
): Promise<string> {
  const dir = tlcMirrorDir(config);
  await ensureZoneLookup(dir);
  for (const month of months) {
    const started = Date.now();
    const result = await ensureMirrorMonth(dir, month, { rows, seed: seed + months.indexOf(month) });
    consoleReporter(
      'tlc-mirror',
      result.generated
        ? `generated ${month}: ${result.manifest.rows} rows (${formatSeconds(Date.now() - started)})`
        : `${month} already generated (${result.manifest.rows} rows)`,
    );
  }
  await ensureLocalComponent(config, 'tlcmirror', (m) => consoleReporter('tlc-mirror', m));
  return endpoints(config).tlcMirror;
}

async function followMonth(
  handle: WorkflowHandle<typeof monthlyYellowTrips>,
): Promise<MonthlyYellowTripsResult> {
  let last = '';
  return resultWhilePolling(handle, 1000, async () => {
    const p = await handle.query(eltProgressQuery);
    const line = `${p.stage}${p.detail ? ': ' + p.detail : ''}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}`;
    if (line !== last) consoleReporter(`elt ${p.month}`, line);
    last = line;
  });
}

function auditSummary(report: AuditReport): string {
  const c = report.counts;
  return [
    `Audit ${report.passed ? 'passed' : 'FAILED'} (${report.checks.filter((x) => x.passed).length}/${report.checks.length} checks; report ${report.reportLocation ?? '-'})`,
    `  source footer rows ${c.sourceFooterRows}, bronze ${c.bronze}, silver ${c.silver}, rejected ${c.rejected}, duplicates removed ${c.duplicatesRemoved}`,
  ].join('\n');
}

export async function runMonth(
  client: Client,
  config: PlatformConfig,
  month: string,
  sourceBaseUrl?: string,
  source?: MonthSource,
  temporalUi: string = endpoints(config).temporalUi,
): Promise<MonthlyYellowTripsResult> {
  const handle = await client.workflow.start(monthlyYellowTrips, {
    workflowId: workflowIdForMonth(month),
    taskQueue: config.taskQueue,
    args: [{ month, sourceBaseUrl, source }],
    // One open run per month: a second `dp elt run` follows the running one.
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  consoleReporter(
    `elt ${month}`,
    `workflow ${handle.workflowId} (${temporalUi}/namespaces/${config.temporalNamespace}/workflows/${handle.workflowId})`,
  );
  return followMonth(handle);
}

async function printGoldSummary(config: PlatformConfig, resolved: ResolvedTarget, month: string) {
  const trino = new TrinoClient(trinoUrl(config, resolved), { catalog: config.catalog });
  const result = await trino.query(
    `SELECT * FROM ${config.catalog}.gold.monthly_summary WHERE source_month = '${validMonth(month)}'`,
  );
  console.log(`\nGold summary for ${month} (lakehouse.gold.monthly_summary on main):`);
  console.log(resultAsTable(result));
}

/** The failure's types and the run's last stage (its search attribute), to tell whether main changed. */
async function failureFacts(
  client: Client,
  month: string,
  err: unknown,
): Promise<{ facts: FailureFacts; runId?: string }> {
  const types = failureTypes(err);
  try {
    const described = await client.workflow.getHandle(workflowIdForMonth(month)).describe();
    const stage = described.typedSearchAttributes.get(PIPELINE_STAGE);
    return { facts: { failureTypes: types, stage }, runId: described.runId };
  } catch {
    // Temporal unreachable now: the failure's type alone decides.
    return { facts: { failureTypes: types } };
  }
}

function failureMessage(err: unknown): string {
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
  return chain.join('\n  caused by: ');
}

/**
 * The month's source that `--source` names: an http(s) URL as it is (the worker fetches it), a path
 * checked here like the fetch stage would and uploaded to the object store (the worker may run in a pod).
 */
export async function explicitSource(
  config: PlatformConfig,
  resolved: ResolvedTarget,
  value: string,
  month: string,
): Promise<MonthSource> {
  if (looksLikeUrl(value)) return { kind: 'url', url: validSourceUrl(value) };
  const checked = await checkLocalSourceFile(value, month);
  consoleReporter(
    `elt ${month}`,
    `${checked.file}: ${checked.rows} rows, sha256 ${checked.sha256.slice(0, 12)}...`,
  );
  const store = await objectStore(config, resolved);
  try {
    return await uploadSourceFile(store.s3, store.bucket, checked, (m) => consoleReporter(`elt ${month}`, m));
  } finally {
    store.s3.destroy();
  }
}

export async function eltRunCommand(
  options: { month: string; source?: string } & MirrorOptions & TargetChoice,
) {
  const config = loadConfig();
  const resolved = currentTarget(config, options);
  const month = pastOrCurrentMonth(supportedMonth(validMonth(options.month)), new Date());
  if (options.source && options.mirror)
    throw new MonthSourceError('Use either --source or --mirror, not both.');
  let source: MonthSource | undefined;
  try {
    source = options.source ? await explicitSource(config, resolved, options.source, month) : undefined;
  } catch (err) {
    if (err instanceof InvalidSourceFile || err instanceof MonthSourceError) {
      process.stderr.write(`dp: ${err.message}\nNothing was started; main is unchanged.\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const sourceBaseUrl = await mirrorSource(config, [month], options);
  const client = await connectTemporal(config, resolved);
  const started = Date.now();
  try {
    const result = await runMonth(
      client,
      config,
      month,
      sourceBaseUrl,
      source,
      temporalUiUrl(config, resolved),
    );
    console.log(`\n${month} published to main in ${formatSeconds(Date.now() - started)}; tag ${result.tag}.`);
    console.log(auditSummary(result.audit));
    await printGoldSummary(config, resolved, month);
    console.log(`\nTemporal UI: ${temporalUiUrl(config, resolved)}`);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const { facts, runId } = await failureFacts(client, month, err);
      const headline = failureHeadline(month, facts, { nessieUi: endpoints(config).nessieUi, runId });
      process.stderr.write(`dp: ${headline}\n  ${failureMessage(err)}\n`);
      process.stderr.write(`Temporal UI: ${temporalUiUrl(config, resolved)}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

export async function eltBackfillCommand(
  options: {
    from: string;
    to: string;
    parallel: string;
  } & MirrorOptions &
    TargetChoice,
) {
  const config = loadConfig();
  const resolved = currentTarget(config, options);
  const months = monthRange(options.from, options.to).map(supportedMonth);
  const parallel = Number(options.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 12) {
    throw new Error(`Invalid --parallel '${options.parallel}': use 1 to 12.`);
  }
  const sourceBaseUrl = await mirrorSource(config, months, options);
  const client = await connectTemporal(config, resolved);
  try {
    const handle = await client.workflow.start(yellowTripsBackfill, {
      workflowId: backfillWorkflowId(months[0], months[months.length - 1]),
      taskQueue: config.taskQueue,
      args: [{ from: months[0], to: months[months.length - 1], parallel, sourceBaseUrl }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    consoleReporter(
      'backfill',
      `workflow ${handle.workflowId}: ${months.length} months, ${parallel} at a time`,
    );
    let last = '';
    const result = await resultWhilePolling(handle, 2000, async () => {
      const states = await handle.query(backfillProgressQuery);
      const line = states.map((s) => `${s.month}:${s.status}`).join(' ');
      if (line !== last) consoleReporter('backfill', line);
      last = line;
    });
    console.log(
      formatTable(
        ['month', 'status', 'detail'],
        result.months.map((m) => [m.month, m.status, m.detail]),
      ),
    );
    console.log(`${result.published} published, ${result.failed} failed`);
    if (result.failed > 0) process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}

export async function scheduleCommand(action: string, options: { hour: string } & TargetChoice) {
  const config = loadConfig();
  const client = await connectTemporal(config, currentTarget(config, options));
  try {
    const handle = client.schedule.getHandle(SCHEDULE_ID);
    switch (action) {
      case 'create': {
        const hour = Number(options.hour);
        await client.schedule.create({
          scheduleId: SCHEDULE_ID,
          spec: { calendars: [{ dayOfMonth: 1, hour }] },
          action: {
            type: 'startWorkflow',
            workflowType: scheduledYellowTrips,
            taskQueue: config.taskQueue,
            args: [{ lagMonths: config.tlcLagMonths, sourceBaseUrl: explicitTlcBaseUrl() }],
            workflowId: SCHEDULED_WORKFLOW_ID,
          },
          // Never drop a run silently: a run that overlaps the previous one waits for it.
          policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '30 days' },
        });
        console.log(
          `Schedule ${SCHEDULE_ID} created: on the 1st of each month at ${hour}:00 UTC, the month ` +
            `${config.tlcLagMonths} months back (DP_TLC_LAG_MONTHS).`,
        );
        break;
      }
      case 'pause':
      case 'unpause':
      case 'trigger':
      case 'delete': {
        // The actions on the existing schedule: what to do, and the state to report after it.
        const simple = {
          pause: [() => handle.pause('paused with dp schedule pause'), 'paused'],
          unpause: [() => handle.unpause('unpaused with dp schedule unpause'), 'running'],
          trigger: [() => handle.trigger(ScheduleOverlapPolicy.BUFFER_ALL), 'triggered'],
          delete: [() => handle.delete(), 'deleted'],
        } as const;
        const [act, state] = simple[action];
        await act();
        console.log(`Schedule ${SCHEDULE_ID} ${state}.`);
        break;
      }
      case 'status': {
        const d = await handle.describe();
        console.log(
          JSON.stringify(
            {
              scheduleId: SCHEDULE_ID,
              paused: d.state.paused,
              note: d.state.note,
              nextActionTimes: d.info.nextActionTimes.slice(0, 3),
              recentActions: d.info.recentActions.slice(-5).map((a) => ({
                scheduledAt: a.scheduledAt,
                workflowId: a.action.workflow.workflowId,
              })),
              runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
            },
            null,
            2,
          ),
        );
        break;
      }
      default:
        throw new Error(
          `Unknown schedule action '${action}': use create, pause, unpause, trigger, status or delete.`,
        );
    }
  } finally {
    await client.connection.close();
  }
}

/** Registers `dp elt`, `dp schedule` and `dp tlc`; returns the `elt` group for its other subcommands. */
export function registerEltCommands(program: Command): Command {
  const elt = program
    .command('elt')
    .description('the monthly NYC Yellow Taxi ELT (Write-Audit-Publish on Nessie)');
  withMirrorOptions(
    addTargetChoice(elt.command('run'))
      .description('run one month, wait, print the audit and the Gold summary; exit code = outcome')
      .requiredOption('--month <YYYY-MM>', 'the month, 2023-01 or later')
      .option(
        '--source <path|url>',
        'load this Parquet file as the month: a local path (uploaded to the object store) or an http(s) URL',
      ),
  ).action(eltRunCommand);
  withMirrorOptions(
    addTargetChoice(elt.command('backfill'))
      .description('run a range of months as child workflows with bounded parallelism')
      .requiredOption('--from <YYYY-MM>', 'first month')
      .requiredOption('--to <YYYY-MM>', 'last month')
      .option('--parallel <n>', 'months at once', '1'),
  ).action(eltBackfillCommand);

  addTargetChoice(program.command('schedule'))
    .description(`the Temporal Schedule ${SCHEDULE_ID}`)
    .argument('<action>', 'create | pause | unpause | trigger | status | delete')
    .option('--hour <h>', 'hour of the day (UTC) of the monthly run', '6')
    .action(scheduleCommand);

  const tlc = program.command('tlc').description('the offline TLC mirror');
  tlc
    .command('mirror')
    .description('generate months on the mirror and serve them in the background')
    .option('--from <YYYY-MM>', 'first month', '2025-03')
    .option('--to <YYYY-MM>', 'last month (default: --from)')
    .option('--rows <n>', 'rows per month', String(DEFAULT_MIRROR_ROWS))
    .option('--seed <n>', 'seed', String(DEFAULT_MIRROR_SEED))
    .action(async (options: { from: string; to?: string; rows: string; seed: string }) => {
      const config = loadConfig();
      const months = monthRange(options.from, options.to ?? options.from);
      const url = await prepareMirror(config, months, Number(options.rows), Number(options.seed));
      console.log(`TLC mirror serving at ${url} (set DP_TLC_BASE_URL=${url} to make it the default source)`);
    });
  tlc
    .command('serve')
    .description('serve the mirror in the foreground (dp tlc mirror runs it in the background)')
    .option('--home <dir>', 'platform home')
    .action(async (options: { home?: string }) => {
      if (options.home) process.env.DP_HOME = options.home;
      const config = loadConfig();
      assertBindAllowed('tlcmirror', config);
      const dir = tlcMirrorDir(config);
      await ensureZoneLookup(dir);
      const server = await startTlcMirror({ dir, port: config.ports.tlcMirror, host: config.host });
      consoleReporter('tlc-mirror', `serving ${dir} at ${server.url}`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
    });
  return elt;
}
