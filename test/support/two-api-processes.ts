import { EventStoreDBClient } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import { testServers } from '@app/testing';
import { type ApiProcess, startApiProcess, storeEnv } from './api-process';

/** An answer of the API as the process-level suites read it. */
export interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/**
 * Two API OS processes on the same stores (one database of their own), what a load balancer in front of two
 * replicas gives, with direct clients to both stores to look at what was stored.
 */
export class TwoApiProcesses {
  processes: ApiProcess[] = [];
  eventStore!: EventStoreDBClient;
  mongo!: MongoClient;
  database = '';

  async start(prefix: string): Promise<void> {
    const env = storeEnv(prefix);
    this.database = env.MONGODB_DB!;
    this.processes = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    const { eventStoreUrl, mongoUrl } = testServers();
    this.eventStore = EventStoreDBClient.connectionString(eventStoreUrl);
    this.mongo = await new MongoClient(mongoUrl).connect();
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((api) => api.stop()));
    await this.eventStore?.dispose();
    await this.mongo?.close();
  }

  /** POSTs `body` as the ingest role to process `which` (0 or 1). */
  async post(which: number, path: string, body: object): Promise<Answer> {
    const response = await fetch(`${this.processes[which].url}${path}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer dev-ingest', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: (await response.json()) as Record<string, unknown>,
    };
  }
}
