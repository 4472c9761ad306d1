// A month of the offline TLC mirror loaded by the platform (`dp elt run --mirror`), with the reference ELT's
// figures for the same file, for the tests that compare what the platform published with the reference.
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../../infra/local/tlc-mirror';
import { loadConfig } from '../../../lib/config';
import { tlcMirrorDir } from '../../../platform/local/services';
import { computeReference, type ReferenceResult } from '../reference-elt';
import { dpAsync } from './dp';

export async function loadMirroredMonth(month: string, rows: string, seed: string): Promise<ReferenceResult> {
  // Asynchronous: a test may keep other work going (a stream's producer) while the month loads.
  const run = await dpAsync(['elt', 'run', '--month', month, '--mirror', '--rows', rows, '--seed', seed]);
  if (run.code !== 0) throw new Error(`dp elt run failed:\n${run.stdout}\n${run.stderr}`);
  return computeReference(tripDataFile(tlcMirrorDir(loadConfig()), month), month, ZONE_LOOKUP_SEED);
}
