import crypto from "node:crypto";
import type { Queryable } from "./database";

export type JobState = "created" | "active" | "completed" | "failed";

export interface JobRecord {
  id: number;
  bulkId: string;
  state: JobState;
  output: Record<string, unknown> | null;
}

export async function createJob(db: Queryable, connectionKey: string): Promise<JobRecord> {
  const result = await db.query<JobRecord>(
    `INSERT INTO jobs (bulk_id, connection_key, state) VALUES ($1, $2, 'created') RETURNING id, bulk_id AS "bulkId", state, output`,
    [crypto.randomUUID(), connectionKey],
  );
  const job = result.rows[0];
  if (job === undefined) throw new Error(`could not create a crawl job for connection ${connectionKey}`);
  return job;
}

export async function setJobState(db: Queryable, id: number, state: JobState, output: Record<string, unknown> | null = null): Promise<void> {
  await db.query("UPDATE jobs SET state = $2, output = $3 WHERE id = $1", [id, state, output === null ? null : JSON.stringify(output)]);
}

export async function listJobs(db: Queryable, bulkId: string): Promise<JobRecord[]> {
  const result = await db.query<JobRecord>(`SELECT id, bulk_id AS "bulkId", state, output FROM jobs WHERE bulk_id = $1 ORDER BY id`, [bulkId]);
  return result.rows;
}

/** Jobs left unfinished by an earlier run can never finish: mark them failed. */
export async function failUnfinishedJobs(db: Queryable): Promise<void> {
  await db.query(`UPDATE jobs SET state = 'failed', output = $1 WHERE state IN ('created', 'active')`, [
    JSON.stringify({ error: "The emulator stopped before this job finished; start a new crawl" }),
  ]);
}
