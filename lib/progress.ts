// Progress and log lines, each prefixed with the component they concern so a reader knows where to look.

export type Reporter = (component: string, message: string) => void;

export const consoleReporter: Reporter = (component, message) => {
  process.stderr.write(`[${component}] ${message}\n`);
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
