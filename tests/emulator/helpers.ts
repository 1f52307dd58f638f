import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import axios, { type AxiosInstance } from "axios";
import type { Emulator, ServicePrincipalCredentials } from "../../emulator";
import { resetEmulator, sharedEmulator } from "../support/emulator";

/** An HTTP client for the emulator that returns every status instead of throwing. */
export function httpClient(emulator: Emulator, headers: Record<string, string> = {}): AxiosInstance {
  return axios.create({ baseURL: emulator.immutaUrl, proxy: false, validateStatus: () => true, headers });
}

export async function bearerToken(emulator: Emulator, apiKey: string = emulator.apiKey): Promise<string> {
  const response = await httpClient(emulator).post<{ token: string }>("/bim/apikey/authenticate", { apikey: apiKey });
  assert.equal(response.status, 200, `authenticate answered ${response.status}`);
  return response.data.token;
}

/** A client authenticated with `apiKey` (the admin key by default). */
export async function immutaClient(emulator: Emulator, apiKey: string = emulator.apiKey): Promise<AxiosInstance> {
  return httpClient(emulator, { authorization: `Bearer ${await bearerToken(emulator, apiKey)}` });
}

/** Registers mocha hooks that give the suite the shared emulator, reset to its seeds. */
export function useSharedEmulator(): { emulator: () => Emulator } {
  let current: Emulator | undefined;
  before(async () => {
    current = await sharedEmulator();
    await resetEmulator(current);
  });
  return {
    emulator: () => {
      if (current === undefined) throw new Error("the shared emulator is not started yet");
      return current;
    },
  };
}

export function registrationBody(
  emulator: Emulator,
  connectionKey: string,
  principal: ServicePrincipalCredentials = { clientId: emulator.clientId, clientSecret: emulator.clientSecret },
) {
  return {
    connectionKey,
    connection: {
      technology: "DatabricksLakebase",
      hostname: emulator.lakebase.hostname,
      port: emulator.lakebase.port,
      database: emulator.lakebase.database,
      authenticationType: "oAuthM2M",
      workspaceUrl: emulator.workspaceUrl,
      oAuthClientConfig: { clientId: principal.clientId, clientSecret: principal.clientSecret, scope: "all-apis" },
    },
  };
}

export interface Job {
  id: number;
  bulkId: string;
  state: string;
  output: Record<string, unknown> | null;
}

/** Polls GET /jobs until the bulk's job has finished (completed or failed). */
export async function finishedJob(api: AxiosInstance, bulkId: string): Promise<Job> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await api.get<Job[]>("/jobs", { params: { bulkId } });
    assert.equal(response.status, 200);
    const job = response.data[0];
    if (job !== undefined && (job.state === "completed" || job.state === "failed")) return job;
    await delay(50);
  }
  throw new Error(`job ${bulkId} did not finish`);
}

/** Registers a connection with the good principal and waits for its first crawl. */
export async function registerConnection(api: AxiosInstance, emulator: Emulator, connectionKey: string): Promise<Job> {
  const response = await api.post<{ bulkId: string }>("/data/connection", registrationBody(emulator, connectionKey));
  assert.equal(response.status, 200, JSON.stringify(response.data));
  const job = await finishedJob(api, response.data.bulkId);
  assert.equal(job.state, "completed", JSON.stringify(job.output));
  return job;
}

export function assertBoom(response: { status: number; data: unknown }, statusCode: number, message?: RegExp | string): void {
  const body = response.data as { statusCode?: unknown; error?: unknown; message?: unknown };
  assert.equal(response.status, statusCode, JSON.stringify(response.data));
  assert.equal(body.statusCode, statusCode);
  assert.equal(typeof body.error, "string");
  assert.equal(typeof body.message, "string");
  if (typeof message === "string") assert.equal(body.message, message);
  else if (message !== undefined) assert.match(body.message as string, message);
}

/** Command lines of running processes that mention `dataDir` (PostgreSQL runs as `postgres -D <dataDir>`). */
export function processesUsing(dataDir: string): string {
  const result = spawnSync("pgrep", ["-a", "-f", dataDir], { encoding: "utf8" });
  return result.status === 1 ? "" : result.stdout.trim();
}

/** A temporary directory PostgreSQL can reach when it runs as the `postgres` OS user. */
export function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-test-"));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Polls `probe` until it returns a value other than undefined (every 20 ms, for at most `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}
