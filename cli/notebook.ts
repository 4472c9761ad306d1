// `dp notebook [--execute [--output DIR] [--month M]]`: the exploration notebook (notebooks/explore.ipynb)
// in JupyterLab, or run headless with papermill, saving its charts as PNG.
//
// JupyterLab and the kernel run from the project's Jupyter virtualenv (infra/local/install-python-tools.ts).
// The notebook reads its connection settings from the environment set here (Trino and Nessie of the
// platform config); Jupyter's own state (runtime files, config, IPython and matplotlib caches) goes under
// DP_HOME/jupyter, and executed copies and charts under DP_HOME/notebooks (git-ignored) unless --output says.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { validMonth } from '../domain/months';
import { endpoints, loadConfig, REPO_ROOT, type PlatformConfig } from '../lib/config';
import { consoleReporter, formatSeconds, type Reporter } from '../lib/progress';
import { runAttached } from '../lib/exec';
import { ensurePythonTool, pythonToolBin } from '../infra/local/install-python-tools';
import { assertBindAllowed } from '../platform/local/bind-policy';

export const NOTEBOOKS_DIR = path.join(REPO_ROOT, 'notebooks');
export const EXPLORE_NOTEBOOK = path.join(NOTEBOOKS_DIR, 'explore.ipynb');

export function notebookOutputDir(config: PlatformConfig): string {
  return path.join(config.home, 'notebooks');
}

/** The environment of JupyterLab, papermill and the kernel. */
export function notebookEnv(config: PlatformConfig, outputDir?: string): NodeJS.ProcessEnv {
  const e = endpoints(config);
  const trino = new URL(e.trino);
  const state = path.join(config.home, 'jupyter');
  for (const dir of ['config', 'runtime', 'ipython', 'matplotlib'])
    fs.mkdirSync(path.join(state, dir), { recursive: true });
  return {
    ...process.env,
    DP_TRINO_HOST: trino.hostname,
    DP_TRINO_PORT: trino.port || '80',
    DP_CATALOG: config.catalog,
    DP_NESSIE_API: e.nessieApi,
    ...(outputDir ? { DP_NOTEBOOK_OUTPUT: outputDir } : {}),
    JUPYTER_CONFIG_DIR: path.join(state, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(state, 'runtime'),
    IPYTHONDIR: path.join(state, 'ipython'),
    MPLCONFIGDIR: path.join(state, 'matplotlib'),
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

export interface NotebookRunResult {
  code: number;
  seconds: number;
  executedNotebook: string;
  charts: string[];
}

/** Executes the notebook with papermill; a cell that raises fails the run (non-zero code). */
export async function executeNotebook(
  config: PlatformConfig,
  report: Reporter,
  options: { output?: string; month?: string } = {},
): Promise<NotebookRunResult> {
  await ensurePythonTool(config.cacheDir, 'jupyter', report);
  const output = path.resolve(options.output ?? notebookOutputDir(config));
  fs.mkdirSync(output, { recursive: true });
  for (const old of fs.readdirSync(output).filter((f) => f.endsWith('.png'))) {
    fs.rmSync(path.join(output, old)); // charts of an earlier run must not pass for this run's
  }
  const executedNotebook = path.join(output, 'explore.ipynb');
  const args = [
    EXPLORE_NOTEBOOK,
    executedNotebook,
    '--kernel',
    'python3',
    '--cwd',
    output,
    '-p',
    'output_dir',
    output,
  ];
  if (options.month) args.push('-p', 'month', validMonth(options.month));
  report('notebook', `papermill ${path.relative(REPO_ROOT, EXPLORE_NOTEBOOK)} -> ${executedNotebook}`);
  const started = Date.now();
  const code = await runAttached(pythonToolBin(config.cacheDir, 'jupyter', 'papermill'), args, {
    env: notebookEnv(config, output),
    cwd: output,
  });
  const charts = fs
    .readdirSync(output)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(output, f));
  return { code, seconds: (Date.now() - started) / 1000, executedNotebook, charts };
}

export function registerNotebookCommands(program: Command) {
  program
    .command('notebook')
    .description('open notebooks/explore.ipynb in JupyterLab on the local Trino, or run it headless')
    .option('--execute', 'run the notebook headless (papermill) and save its charts as PNG')
    .option(
      '--output <dir>',
      'with --execute: where the executed notebook and the charts go (default DP_HOME/notebooks)',
    )
    .option('--month <YYYY-MM>', 'the month to explore (default: the newest month in Gold)')
    .action(async (options: { execute?: boolean; output?: string; month?: string }) => {
      const config = loadConfig();
      if (options.month) validMonth(options.month);
      if (options.execute) {
        const result = await executeNotebook(config, consoleReporter, options);
        if (result.code !== 0) {
          process.stderr.write(
            `dp: the notebook failed (papermill exit ${result.code}); the executed copy with the error: ${result.executedNotebook}\n`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(
          `\nNotebook executed in ${formatSeconds(result.seconds * 1000)}: ${result.executedNotebook}`,
        );
        console.log(`Charts (${result.charts.length}):\n${result.charts.map((c) => `  ${c}`).join('\n')}`);
        return;
      }
      if (options.output) throw new Error('--output goes with --execute.');
      // JupyterLab asks for its token, so it may listen beyond loopback, but only with the user's opt-in.
      assertBindAllowed('jupyter', config);
      await ensurePythonTool(config.cacheDir, 'jupyter', consoleReporter);
      consoleReporter(
        'notebook',
        `JupyterLab on ${config.host}:${config.ports.jupyter} (the next free port if taken), notebooks in ${NOTEBOOKS_DIR}; ` +
          `Trino ${endpoints(config).trino}. Open the URL with the token printed below; Ctrl-C stops it.`,
      );
      const code = await runAttached(
        pythonToolBin(config.cacheDir, 'jupyter', 'jupyter'),
        [
          'lab',
          '--no-browser',
          `--ServerApp.ip=${config.host}`,
          `--ServerApp.port=${config.ports.jupyter}`,
          `--ServerApp.root_dir=${NOTEBOOKS_DIR}`,
          // No extension installs from a package index at run time: the venv's pins are the whole set.
          '--LabApp.extension_manager=readonly',
          // Containers and CI often run as root; Jupyter refuses that unless told.
          ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : []),
        ],
        { env: notebookEnv(config, notebookOutputDir(config)), cwd: NOTEBOOKS_DIR },
      );
      process.exitCode = code;
    });
}
