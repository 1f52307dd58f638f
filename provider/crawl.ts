/**
 * Waiting for a connection's crawl: the job Immuta starts when a connection is registered or its
 * credentials change, which finds its objects and the users PostgreSQL knows.
 */
import { CrawlError, redact } from "./errors";
import type { ImmutaClient } from "./immuta/client";
import { crawlJobOutput, crawlResponse, jobsResponse, paths, type Job } from "./immuta/wire";

const PERMISSION = "APPLICATION_ADMIN";

export interface CrawlResult {
  readonly state: Job["state"];
  readonly objectCount: number | null;
}

export interface CrawlOptions {
  readonly log: (message: string) => void;
  readonly crawlTimeoutMs: number;
  /** Secrets to scrub from a failed job's output, which may quote the connection's settings. */
  readonly secrets: readonly string[];
}

/** Waits for the crawl a write started (its bulk id), or starts one when the write did not say. */
export async function crawlAfter(client: ImmutaClient, key: string, bulkId: string | undefined, opts: CrawlOptions): Promise<CrawlResult> {
  const started =
    bulkId ??
    (await client.request({ operation: `Starting a crawl of connection "${key}"`, method: "POST", path: paths.crawl([key]), response: crawlResponse, permission: PERMISSION })).bulkId;
  return waitForCrawl(client, key, started, opts);
}

const FAILED_STATES: ReadonlySet<Job["state"]> = new Set(["failed", "cancelled", "expired"]);

/** Polls the crawl's jobs until they end, with growing pauses, until opts.crawlTimeoutMs. */
async function waitForCrawl(client: ImmutaClient, key: string, bulkId: string, opts: CrawlOptions): Promise<CrawlResult> {
  const deadline = Date.now() + opts.crawlTimeoutMs;
  let pause = 250;
  let reported = "";
  for (;;) {
    const jobs = await client.request({ operation: `Checking the crawl of connection "${key}"`, method: "GET", path: paths.jobs(), query: { bulkId }, response: jobsResponse, permission: PERMISSION });
    const failed = jobs.find((job) => FAILED_STATES.has(job.state));
    if (failed) {
      const { error } = crawlJobOutput(failed.output);
      const why = error ? `: ${redact(error, opts.secrets)}` : "";
      throw new CrawlError(`The crawl of connection "${key}" ${failed.state}${why}. Fix the cause and run pulumi up again: the connection is kept and crawled again.`);
    }
    if (jobs.length > 0 && jobs.every((job) => job.state === "completed")) {
      const counts = jobs.flatMap((job) => crawlJobOutput(job.output).objectCount ?? []);
      const objectCount = counts.length > 0 ? counts.reduce((a, b) => a + b, 0) : null;
      opts.log(`The crawl of connection "${key}" completed${objectCount === null ? "" : `: ${objectCount} object(s)`}.`);
      return { state: "completed", objectCount };
    }
    const progress = jobs.map((job) => job.state).join(", ") || "not started";
    if (progress !== reported) opts.log(`Waiting for the crawl of connection "${key}" (${progress}).`);
    reported = progress;
    if (Date.now() + pause > deadline) {
      throw new CrawlError(
        `The crawl of connection "${key}" did not finish within ${Math.round(opts.crawlTimeoutMs / 1000)} s (jobs: ${progress}). ` +
          "The connection is registered and kept; raise immuta:crawlTimeoutMs, then run pulumi up again to wait for a new crawl.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 5_000);
  }
}
