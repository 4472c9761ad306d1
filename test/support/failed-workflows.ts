// Failed workflows of the last hour, counted from the list a Temporal frontend gives (filtered by close time
// here), to check dp status's figure, which asks Temporal's visibility store for a count.
import { Client, Connection } from '@temporalio/client';

export async function failedWorkflowsLastHour(address: string, namespace: string): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const hourAgo = Date.now() - 3_600_000;
    let failed = 0;
    for await (const w of client.workflow.list({ query: 'ExecutionStatus="Failed"' }))
      if ((w.closeTime?.getTime() ?? 0) > hourAgo) failed += 1;
    return failed;
  } finally {
    await connection.close();
  }
}
