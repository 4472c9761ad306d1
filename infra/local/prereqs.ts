// Finding the toolchains the installer needs (Go, Maven, Java, Python) with one clear message each
// when one is missing.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export class MissingPrerequisite extends Error {}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function requireCommand(command: string, install: string): string {
  const found = which(command);
  if (!found) throw new MissingPrerequisite(`'${command}' is not on PATH. ${install}`);
  return found;
}

/** Java feature version of a JDK home, from its `release` file (no JVM start needed). */
export function javaFeatureVersion(javaHome: string): number | undefined {
  try {
    const release = fs.readFileSync(path.join(javaHome, 'release'), 'utf8');
    const match = /JAVA_VERSION="(\d+)/.exec(release);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JDK home with at least `minVersion`: DP_JAVA_HOME, then JAVA_HOME, then the JDKs under /usr/lib/jvm
 * (newest first), then `java` on PATH.
 */
export function findJavaHome(minVersion: number): string {
  const candidates: string[] = [];
  if (process.env.DP_JAVA_HOME) candidates.push(process.env.DP_JAVA_HOME);
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  const jvmDir = '/usr/lib/jvm';
  if (fs.existsSync(jvmDir)) {
    const homes = fs
      .readdirSync(jvmDir)
      .map((name) => path.join(jvmDir, name))
      .filter((home) => fs.existsSync(path.join(home, 'bin', 'java')));
    homes.sort((a, b) => (javaFeatureVersion(b) ?? 0) - (javaFeatureVersion(a) ?? 0));
    candidates.push(...homes);
  }
  const javaOnPath = which('java');
  if (javaOnPath) candidates.push(path.dirname(path.dirname(fs.realpathSync(javaOnPath))));
  for (const home of candidates) {
    const version = javaFeatureVersion(home);
    if (version !== undefined && version >= minVersion && fs.existsSync(path.join(home, 'bin', 'java'))) {
      return home;
    }
  }
  throw new MissingPrerequisite(
    `No JDK ${minVersion} or newer found (looked at DP_JAVA_HOME, JAVA_HOME, /usr/lib/jvm and PATH). ` +
      `Install a JDK ${minVersion}+ (for example Temurin 25) and set DP_JAVA_HOME to its folder.`,
  );
}

export function findPython(): string {
  for (const name of ['python3', 'python']) {
    const found = which(name);
    if (!found) continue;
    try {
      const version = execFileSync(found, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
        encoding: 'utf8',
      }).trim();
      const [major, minor] = version.split('.').map(Number);
      if (major === 3 && minor >= 10) return found;
    } catch {
      // try the next name
    }
  }
  throw new MissingPrerequisite(
    'Python 3.10 or newer (with the venv module) is not on PATH. Install it, e.g. `apt-get install python3 python3-venv`.',
  );
}

export function checkPrerequisites(): { go: string; mvn: string; python: string } {
  return {
    go: requireCommand('go', 'Install Go 1.26 or newer (https://go.dev/doc/install) and put it on PATH.'),
    mvn: requireCommand('mvn', 'Install Apache Maven 3.8 or newer, e.g. `apt-get install maven`.'),
    python: findPython(),
  };
}
