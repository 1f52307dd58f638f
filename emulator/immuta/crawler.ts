import type pg from "pg";
import { setTimeout as delay } from "node:timers/promises";
import { findConnection } from "../state/connections";
import { inTransaction } from "../state/database";
import { createJob, setJobState } from "../state/jobs";
import { replaceConnectionChildren } from "../state/objects";
import { switchUnmatchedPostgresUsersToNone } from "../state/users";
import { catalogObjectPaths, readCatalog, readRoleNames } from "./catalog";
import { openPrincipalSession } from "./principalSession";
import { PrincipalRefusal } from "./principalRefusal";

/** The connection went away while its crawl waited: the job fails without noise. */
class ConnectionGone extends Error {}

/**
 * Runs crawl jobs the way Immuta's object sync does: a job is created, becomes active, and after
 * `crawlDelayMs` logs in as the connection's principal, replaces the connection's objects with
 * the database's schemas and tables, then switches users unknown to PostgreSQL to "none".
 */
export class Crawler {
  private readonly running = new Set<Promise<void>>();
  private abort = new AbortController();

  constructor(
    private readonly state: pg.Pool,
    private readonly crawlDelayMs: number,
    private readonly log: (line: string) => void,
    /** A PostgreSQL role as this Lakebase shows it (on a shared server, its own roles without their namespace prefix). */
    private readonly shownAs: (role: string) => string,
  ) {}

  /** Starts a crawl of the connection; resolves to the job's bulkId. */
  async start(connectionKey: string): Promise<string> {
    const job = await createJob(this.state, connectionKey);
    const run = this.run(job.id, connectionKey, this.abort.signal).catch((error: unknown) => {
      this.log(`crawl job ${job.id} of ${connectionKey} could not record its result: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return job.bulkId;
  }

  /** Cancels waiting crawls and waits for running ones, so nothing writes after a reset or stop. */
  async cancelAll(): Promise<void> {
    const cancelled = this.abort;
    this.abort = new AbortController();
    cancelled.abort();
    await Promise.allSettled([...this.running]);
  }

  private async run(jobId: number, connectionKey: string, signal: AbortSignal): Promise<void> {
    await setJobState(this.state, jobId, "active");
    try {
      await delay(this.crawlDelayMs, undefined, { signal });
      const objectCount = await this.crawl(connectionKey, signal);
      await setJobState(this.state, jobId, "completed", { objectCount });
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ConnectionGone) {
        await setJobState(this.state, jobId, "failed", { error: error.message });
        return;
      }
      const reason = error instanceof PrincipalRefusal ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
      this.log(`crawl of connection ${connectionKey} failed: ${reason}`);
      await setJobState(this.state, jobId, "failed", { error: `Crawl of connection ${connectionKey} failed: ${reason}` });
    }
  }

  private async crawl(connectionKey: string, signal: AbortSignal): Promise<number> {
    const gone = new ConnectionGone(`The connection ${connectionKey} was deleted before its crawl finished`);
    const connection = await findConnection(this.state, connectionKey);
    if (connection === undefined) throw gone;
    const session = await openPrincipalSession(connection);
    let schemas;
    let roleNames;
    try {
      schemas = await readCatalog(session);
      roleNames = (await readRoleNames(session)).map(this.shownAs);
    } finally {
      await session.end().catch(() => undefined);
    }
    signal.throwIfAborted();
    const objectCount = await inTransaction(this.state, async (client) => {
      const current = await findConnection(client, connectionKey, true);
      if (current === undefined) throw gone;
      const paths = catalogObjectPaths(connectionKey, current.database, schemas);
      await replaceConnectionChildren(client, connectionKey, paths, current.isActive ? "active" : "inactive");
      return paths.length;
    });
    await switchUnmatchedPostgresUsersToNone(this.state, roleNames);
    return objectCount;
  }
}
