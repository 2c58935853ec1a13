import { Client, Connection } from '@temporalio/client';

/** One Connection per process, reused by every client call (as Temporal recommends). */
export async function connectTemporal(address: string, namespace: string): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address });
  return { connection, client: new Client({ connection, namespace }) };
}
