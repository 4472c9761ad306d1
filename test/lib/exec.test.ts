import { CommandFailed, run, runAttached, runLines } from '../../lib/exec';

const node = process.execPath;
const script = (code: string) => ['-e', code];

describe('runLines', () => {
  test('hands over every line of stdout and stderr, the last one without a newline too', async () => {
    const seen: string[] = [];
    const exited = await runLines(
      node,
      script("console.log('a'); console.error('b'); process.stdout.write('c')"),
      { onLine: (line) => seen.push(line) },
    );
    expect(exited.code).toBe(0);
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });

  test('keeps the last lines only, and resolves on a failing exit code', async () => {
    const exited = await runLines(
      node,
      script('for (let i = 1; i <= 5; i++) console.log(i); process.exit(3)'),
      { keepLines: 2 },
    );
    expect(exited).toEqual({ code: 3, output: '4\n5' });
  });

  test('an abort stops the program (SIGKILL if it ignores SIGINT) and rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const started = Date.now();
    const ignoresSigint = "process.on('SIGINT', () => {}); console.log('up'); setInterval(() => {}, 9e3)";
    const exited = runLines(node, script(ignoresSigint), {
      signal: controller.signal,
      stopGraceMs: 300,
      onLine: () => controller.abort(reason),
    });
    await expect(exited).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('an already aborted signal starts nothing', async () => {
    const reason = new Error('too late');
    let lines = 0;
    const exited = runLines(node, script("console.log('ran')"), {
      signal: AbortSignal.abort(reason),
      onLine: () => lines++,
    });
    await expect(exited).rejects.toBe(reason);
    expect(lines).toBe(0);
  });

  test('rejects when the program cannot start', async () => {
    await expect(runLines('/nonexistent/program', [])).rejects.toThrow(/Cannot run \/nonexistent\/program/);
  });
});

describe('run', () => {
  test('reports the shown lines and throws CommandFailed with the output', async () => {
    const reported: string[] = [];
    const failing = run(node, script("console.log('keep'); console.log('skip'); process.exit(2)"), {
      component: 'test',
      report: (_component, line) => reported.push(line),
      showLine: (line) => line === 'keep',
    });
    await expect(failing).rejects.toBeInstanceOf(CommandFailed);
    await expect(failing).rejects.toMatchObject({ exitCode: 2, output: 'keep\nskip' });
    expect(reported).toEqual(['keep']);
  });
});

test('runAttached resolves with the exit code', async () => {
  await expect(runAttached(node, script('process.exit(4)'))).resolves.toBe(4);
});
