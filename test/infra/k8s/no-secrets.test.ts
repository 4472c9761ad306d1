// No credentials in the repository: every password, key or token comes from a Secret, the environment or a
// generated, git-ignored file. Scans every tracked source and configuration file.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './helpers';

/** Not scanned: the scanner's own planted examples, and the deliberately broken or recorded inputs of tests. */
const FAKE = new Set(['test/infra/k8s/no-secrets.test.ts']);
const FAKE_DIRS = ['test/fixtures/'];
/** Deliberately fake values that tests use as credentials, by file. */
const FAKE_VALUES: Record<string, string[]> = {
  // The Secret data a fake API server returns.
  'test/platform/k8s/driver.test.ts': ['fixture-access', 'fixture-value'],
  // A file outside the mirror's root that the mirror must not serve.
  'test/infra/local/tlc-mirror/server.test.ts': ['not for the mirror'],
};

const CODE = /\.(ts|js|mjs|cjs|py|java|go)$/;
const CONFIG =
  /\.(ya?ml|json|properties|conf|sh|example|toml|cfg|ini|txt|md|sql|xml|ipynb)$|(^|\/)Dockerfile$|(^|\/)\.ci\/run$/;

/** A key that holds a credential: password, secret, access key, token, API key, private key, credentials. */
const CREDENTIAL_WORD =
  /(^|[^a-z])(pass(word|wd)?|pwd|secret|access[-_.]?key|token|api[-_.]?key|private[-_.]?key|credentials?)([^a-z]|$)/;

/** Whether a name (secretKey, S3_SECRET, aws-secret-key, passwordKey) has a credential word in it. */
function namesACredential(name: string): boolean {
  return CREDENTIAL_WORD.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

/**
 * Keys that name where a credential is, not the credential: secretName: s3-credentials,
 * existingSecret: nessie-postgres, and a key in a Secret (secretKey: password, passwordKey: admin-password,
 * userKey: admin-user), whose value is itself the name of a credential field.
 */
function namesAReference(key: string, value: string): boolean {
  const plainName = /^[a-z0-9][a-z0-9_.-]*$/i.test(value);
  const namesAField = namesACredential(value) || /(^|[^a-z])user(name)?([^a-z]|$)/i.test(value);
  return (
    /^(existingSecret|secretName|secretKeyRef|secretRef)/i.test(key) ||
    (/(Secret|SecretName|Ref)$/.test(key) && plainName) ||
    (/(secret|key|keys|keyname|name)$/i.test(key) && plainName && namesAField) ||
    /(File|Path|Dir|Header|Url|Uri|Prefix|Suffix|Length|Ttl|Env|Var)$/i.test(key)
  );
}

/** Values that are not literals: references to the environment, templates, Secrets, placeholders. */
function isReference(value: string): boolean {
  return (
    value === '' ||
    /^(null|none|true|false|undefined|\d+)$/i.test(value) ||
    // A nested mapping or list: its own entries are checked.
    /^[[{]/.test(value) ||
    // Secret references written inline: { name: x, key: y }, valueFrom, secretKeyRef.
    /^\{?\s*(name|key|secretKeyRef|valueFrom|existingSecret)\b/.test(value) ||
    // Environment and template references: ${ENV:X}, ${X}, $X, {{ .Values.x }}, <placeholder>, urn:nessie-secret:.
    /^\$\{?ENV:|^\$\{|^\$[A-Z_]|^\{\{|^<.*>$|^urn:nessie-secret:/.test(value) ||
    // Elisions and format placeholders in docs and templates: KEY=…, "%s".
    /^(…|\.\.\.|%[sd])/.test(value) ||
    // A requirement pin (pkg==1.0) or a comparison, not an assignment.
    /^=/.test(value)
  );
}

/** An assignment of a value to a secret-looking key, found on one line. */
interface Assignment {
  key: string;
  value: string;
}

/** key: value / key=value of configuration files (YAML, properties, env files, shell, Dockerfile ENV). */
function configAssignments(line: string): Assignment[] {
  const out: Assignment[] = [];
  const whole = /^\s*(?:-\s*)?(?:export\s+|ENV\s+|ARG\s+)?["']?([\w.-]+)["']?\s*[:=]\s*(.*?)\s*$/.exec(line);
  if (whole && !/^#/.test(line.trim())) out.push({ key: whole[1], value: unquote(stripComment(whole[2])) });
  // Flow mappings and JSON on one line: { user: a, password: b }, "password": "b".
  for (const m of line.matchAll(/[{,]\s*["']?([\w.-]+)["']?\s*:\s*("[^"]*"|'[^']*'|[^,{}\s][^,{}]*)/g)) {
    out.push({ key: m[1], value: unquote(m[2].trim()) });
  }
  return out;
}

/** Quoted string literals assigned in code: password = "x", secretKey: 'x', "token": "x", key=`x`. */
function codeAssignments(line: string): Assignment[] {
  const out: Assignment[] = [];
  // A literal followed by `+` is the start of a computed value ('dp' + randomBytes(9)...), not a credential.
  const literal =
    /["']?([A-Za-z_][\w.-]*)["']?\s*(?::|=(?!=)|\?\?|\|\|)\s*(["'`])((?:\\.|(?!\2).)*)\2(?!\s*\+)/g;
  for (const m of line.matchAll(literal)) {
    out.push({ key: m[1], value: m[3] });
  }
  return out;
}

function unquote(value: string): string {
  return value.replace(/^(['"])(.*)\1$/, '$2');
}

function stripComment(value: string): string {
  return /^["']/.test(value) ? value : value.replace(/\s+#.*$/, '');
}

/**
 * Lines that set a secret-looking key to a literal value; `code` for source files (there only quoted
 * literals are values), `fake` for values known to be deliberately fake.
 */
export function literalSecrets(text: string, code = false, fake: readonly string[] = []): string[] {
  const hits: string[] = [];
  for (const line of text.split('\n')) {
    const found = (code ? codeAssignments(line) : configAssignments(line)).some(
      ({ key, value }) =>
        namesACredential(key) &&
        !isReference(value) &&
        !namesAReference(key, value) &&
        !(code && value.includes('${')) &&
        !fake.includes(value),
    );
    if (found) hits.push(line.trim());
  }
  for (const m of text.matchAll(/AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/g)) hits.push(m[0]);
  return hits;
}

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && !FAKE.has(f) && !FAKE_DIRS.some((d) => f.startsWith(d)))
    .filter((f) => fs.existsSync(path.join(REPO, f)));
}

describe('no literal credentials in the repository', () => {
  it('scans the sources and configuration of every part of the tree', () => {
    const scanned = trackedFiles().filter((f) => CODE.test(f) || CONFIG.test(f));
    for (const dir of [
      'activities/',
      'bench/',
      'cli/',
      'clients/',
      'infra/',
      'images/',
      'platform/',
      'test/',
    ])
      expect(scanned.some((f) => f.startsWith(dir))).toBe(true);
    for (const file of [
      'images/worker/Dockerfile',
      'infra/manifests/base/secrets/s3-credentials.env.example',
      'flink/src/main/resources/log4j2.properties',
      'infra/k8s/generate-secrets.sh',
      'airflow/dags/nyc_yellow_trips_dag.py',
    ])
      expect(scanned).toContain(file);
  });

  it('finds none', () => {
    const found = trackedFiles().flatMap((f) => {
      const code = CODE.test(f);
      if (!code && !CONFIG.test(f)) return [];
      const text = fs.readFileSync(path.join(REPO, f), 'utf8');
      return literalSecrets(text, code, FAKE_VALUES[f]).map((hit) => `${f}: ${hit}`);
    });
    expect(found).toEqual([]);
  });

  it('catches literals in configuration, quoted or not', () => {
    for (const planted of [
      '  password: hunter2-Secret!',
      '  password: hunter',
      '  secretKey: minioadmin',
      "  secretKey: 'minioadmin'",
      '  accessKey: "minioadmin"',
      's3.aws-secret-key=wJalrXUtnFEMI/K7MDENG',
      'POSTGRES_PASSWORD=correct-horse-battery',
      'export DP_S3_SECRET_KEY=minioadmin',
      'ENV AWS_SECRET_ACCESS_KEY=abc123',
      '  env: { AWS_ACCESS_KEY_ID: admin, AWS_SECRET_ACCESS_KEY: minioadmin }',
      '  "password": "hunter2"',
      'token=abc123def456',
    ])
      expect([planted, literalSecrets(planted)]).toEqual([planted, [planted.trim()]]);
    expect(literalSecrets('key: AKIAABCDEFGHIJKLMNOP')).toEqual(['AKIAABCDEFGHIJKLMNOP']);
  });

  it('catches string literals in code', () => {
    for (const planted of [
      "const s3 = { accessKey: 'minioadmin', secretKey: 'minioadmin' };",
      'const password = "hunter2";',
      "  secretKey: process.env.DP_S3_SECRET_KEY ?? 'minioadmin',",
      "const S3_SECRET_KEY = 'wJalrXUtnFEMI';",
      'PASSWORD = "hunter2"',
      'client = Minio(access_key="admin", secret_key="minioadmin")',
      '    "token": "abc123",',
    ])
      expect([planted, literalSecrets(planted, true)]).toEqual([planted, [planted.trim()]]);
  });

  it('leaves references, field names and placeholders alone', () => {
    for (const line of [
      'secretKey: password', // the key of a Secret holding the password
      'passwordKey: admin-password',
      'userPasswordKey: password',
      'userKey: admin-user',
      'existingSecret: nessie-postgres',
      'secretName: s3-credentials',
      's3.aws-secret-key=${ENV:DP_S3_SECRET_KEY}',
      'password: { name: trino-metrics-scrape, key: password }',
      '  valueFrom: { secretKeyRef: { name: s3-credentials, key: secretKey } }',
      'asttokens==3.0.2',
      'password=',
      'password: <from the Secret>',
      'token: {{ .Values.token }}',
      'DP_S3_ACCESS_KEY=… DP_S3_SECRET_KEY=… java -jar job.jar',
      'printf \'{"accessKey":"%s","secretKey":"%s"}\'',
    ])
      expect([line, literalSecrets(line)]).toEqual([line, []]);
    for (const line of [
      'secretKey: string;',
      'const secretKey = credentials.secretKey;',
      "secret_key = os.environ['DP_S3_SECRET_KEY']",
      'password: process.env.DP_PASSWORD,',
      "const tokenFile = 'token.txt';",
      'env: { DP_S3_SECRET_KEY: keys.secretKey },',
      'accessKey: `${prefix}-key`,',
      "accessKey: 'dp' + randomBytes(9).toString('hex'),",
      "const S3_SECRET = 's3-credentials';",
      "export const S3_SECRET_KEY_ENV = 'DP_S3_SECRET_KEY';",
      'const passengers = 3;',
    ])
      expect([line, literalSecrets(line, true)]).toEqual([line, []]);
  });
});
