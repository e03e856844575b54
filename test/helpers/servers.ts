/**
 * Per-test-file isolation on shared servers: each file gets its own MongoDB database and Temporal task queue
 * (names derived from the file and a random suffix), so files run in parallel without seeing each other.
 */
import { randomBytes } from 'node:crypto';
import { Client, type Connection } from '@temporalio/client';
import { connectTemporal } from '../../gateway/temporal-connection';
import { MongoClient, type Db } from 'mongodb';

export interface TestServers {
  connection: Connection;
  client: Client;
  namespace: string;
  mongo: MongoClient;
  db: Db;
  dbName: string;
  taskQueue: string;
  address: string;
  mongoUrl: string;
  close(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix.replace(/[^a-z0-9]/gi, '').slice(0, 24)}_${randomBytes(4).toString('hex')}`;
}

export async function connectTestServers(label: string): Promise<TestServers> {
  const address = process.env.TEMPORAL_ADDRESS!;
  const mongoUrl = process.env.MONGO_URL!;
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await connectTemporal(address); // as the gateway connects
  const client = new Client({ connection, namespace });
  const mongo = await MongoClient.connect(mongoUrl);
  const dbName = uniqueName(`t_${label}`);
  const db = mongo.db(dbName);
  return {
    connection,
    client,
    namespace,
    mongo,
    db,
    dbName,
    taskQueue: uniqueName(`tq_${label}`),
    address,
    mongoUrl,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await connection.close();
    },
  };
}
