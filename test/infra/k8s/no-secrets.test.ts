// No credentials in infra/: every password, key or token comes from a Secret (generated or external).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './helpers';

const SCANNED = ['infra', 'images'];
const SKIP_DIRS = new Set(['node_modules', 'target', '.venv']);

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : files(full);
    // Generated env files hold real secrets by design and are git-ignored.
    if (/\.env$/.test(e.name)) return [];
    return [full];
  });
}

/** Lines that set a secret-looking key to a literal value. */
export function literalSecrets(text: string): string[] {
  const hits: string[] = [];
  const key =
    /(password|passwd|secret[-_]?key|secretkey|access[-_]?key|accesskey|token|apikey|api[-_]key|credentials?)/i;
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*-?\s*"?([\w.-]+)"?\s*[:=]\s*(.+?)\s*$/);
    if (!m || !key.test(m[1])) continue;
    const value = m[2].replace(/^['"]|['"]$/g, '');
    const reference =
      value === '' ||
      value === '{}' ||
      /^\{?\s*(name|key|secretKeyRef|valueFrom)\b/.test(value) ||
      /^\$\{?ENV:|^\$\{|^\$[A-Z_]+|^urn:nessie-secret:|^\{\{|^<.*>$/.test(value) ||
      /^(existingSecret|secretName|secretKeyRef)/.test(m[1]) ||
      // A key that names a Secret or a key in one (secretKey: password, passwordKey: admin-password).
      (/[a-z](Key|Keys|KeyName|SecretName|Secret|Ref)$/.test(m[1]) &&
        /^[a-z0-9][a-zA-Z0-9.-]*$/.test(value)) ||
      /^(true|false|null|\d+)$/.test(value) ||
      // A requirement pin (asttokens==3.0.2) or a comparison, not an assignment.
      /^=/.test(value);
    if (!reference) hits.push(line.trim());
  }
  for (const m of text.matchAll(/AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/g)) hits.push(m[0]);
  return hits;
}

describe('no literal credentials in infra/ and images/', () => {
  it('finds none', () => {
    const found = SCANNED.flatMap((d) => files(path.join(REPO, d)))
      .filter((f) =>
        /\.(ya?ml|json|properties|conf|sh|env\.example|md|txt|py|toml|cfg|ini)$|Dockerfile$/.test(f),
      )
      .flatMap((f) =>
        literalSecrets(fs.readFileSync(f, 'utf8')).map((hit) => `${path.relative(REPO, f)}: ${hit}`),
      );
    expect(found).toEqual([]);
  });

  it('catches a planted password and key', () => {
    expect(literalSecrets('  password: hunter2-Secret!')).toHaveLength(1);
    expect(literalSecrets('  password: hunter')).toHaveLength(1);
    expect(literalSecrets('  secretKey: password')).toHaveLength(0);
    expect(literalSecrets('s3.aws-secret-key=wJalrXUtnFEMI/K7MDENG')).toHaveLength(1);
    expect(literalSecrets('POSTGRES_PASSWORD=correct-horse-battery')).toHaveLength(1);
    expect(literalSecrets('key: AKIAABCDEFGHIJKLMNOP')).toHaveLength(1);
    expect(literalSecrets('s3.aws-secret-key=${ENV:DP_S3_SECRET_KEY}')).toHaveLength(0);
    expect(literalSecrets('password: { name: trino-metrics-scrape, key: password }')).toHaveLength(0);
    expect(literalSecrets('asttokens==3.0.2')).toHaveLength(0);
    expect(literalSecrets('token=abc123def456')).toHaveLength(1);
  });
});
