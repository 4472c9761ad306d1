// Where the Flink job (flink/) is built: the shaded jar the local MiniCluster runs and the local cluster's
// JobManager and TaskManager images carry (`dp stream build` or `mvn -B package` in flink/ makes it).
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/config';

export const FLINK_PROJECT_DIR = path.join(REPO_ROOT, 'flink');
export const STREAM_JAR = path.join(FLINK_PROJECT_DIR, 'target', 'sensor-job.jar');
