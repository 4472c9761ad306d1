// Object-store credentials: generated on first use, kept in $DP_HOME/secrets (mode 0600, never in git),
// and handed to SeaweedFS, Nessie and Trino through their configs.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV } from '../../lib/catalog';

export interface S3Credentials {
  accessKey: string;
  secretKey: string;
}

export function ensureS3Credentials(secretsDir: string): S3Credentials {
  const file = path.join(secretsDir, 's3.json');
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as S3Credentials;
    if (stored.accessKey && stored.secretKey) return stored;
  }
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const credentials: S3Credentials = {
    accessKey: 'dp' + randomBytes(9).toString('hex'),
    secretKey: randomBytes(30).toString('base64url'),
  };
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

/** Writes a config file that contains secrets, readable by its owner only. */
/** The object store's keys as the environment variables Trino's catalog, the stream job and the DAG read. */
export function s3CredentialsEnv(secretsDir: string): Record<string, string> {
  const credentials = ensureS3Credentials(secretsDir);
  return { [S3_ACCESS_KEY_ENV]: credentials.accessKey, [S3_SECRET_KEY_ENV]: credentials.secretKey };
}

export function writePrivateFile(file: string, content: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
