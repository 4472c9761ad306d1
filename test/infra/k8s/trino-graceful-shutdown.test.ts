// A leaving Trino worker drains only if its own access control lets the preStop hook's user write system
// information (Trino's default refuses every graceful shutdown): the hook, the worker's config and its
// rules must agree, in every overlay.
import { byKind, rendered, TARGETS } from './helpers';

interface WorkerSpec {
  template: {
    spec: {
      volumes: { name: string; configMap?: { name: string } }[];
      containers: {
        args: string[];
        volumeMounts: { name: string; mountPath: string }[];
        lifecycle: { preStop: { exec: { command: string[] } } };
      }[];
    };
  };
}

const properties = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]),
  );

describe.each(TARGETS)('Trino worker graceful shutdown in $name', ({ dir }) => {
  const { objects } = rendered(dir);
  const worker = byKind(objects, 'Deployment').find((d) => d.metadata.name === 'trino-worker');

  test("the preStop hook's user may change the worker's state; everyone may read its metrics", () => {
    expect(worker).toBeDefined();
    const spec = (worker!.spec as WorkerSpec).template.spec;
    const container = spec.containers[0];
    const mount = container.volumeMounts.find((m) => m.mountPath === '/etc/trino/conf')!;
    const configMapName = spec.volumes.find((v) => v.name === mount.name)!.configMap!.name;
    const data = byKind(objects, 'ConfigMap').find((c) => c.metadata.name === configMapName)!.data as Record<
      string,
      string
    >;
    // Files of the ConfigMap by their path in the container.
    const file = (p: string) => {
      expect(p.startsWith('/etc/trino/conf/')).toBe(true);
      const text = data[p.slice('/etc/trino/conf/'.length)];
      expect(text).toBeDefined();
      return text;
    };
    const configFile = container.args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
    const config = properties(file(configFile));
    const accessControl = properties(file(config['access-control.config-files']));
    expect(accessControl['access-control.name']).toBe('file');
    const rules = JSON.parse(file(accessControl['security.config-file'])) as {
      system_information: { user?: string; allow: string[] }[];
    };

    const hook = container.lifecycle.preStop.exec.command.join(' ');
    const user = /X-Trino-User: ([\w-]+)/.exec(hook)![1];
    expect(hook).toContain('"SHUTTING_DOWN"');
    // The first rule whose user pattern matches decides (Trino's file-based rules).
    const decides = (name: string) =>
      rules.system_information.find((r) => new RegExp(`^(?:${r.user ?? '.*'})$`).test(name))?.allow ?? [];
    expect(decides(user)).toEqual(expect.arrayContaining(['write']));
    expect(decides('dp-metrics')).toEqual(['read']);
  });
});
