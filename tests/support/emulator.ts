import axios, { type AxiosInstance } from "axios";
import { startEmulator, type Emulator, type FaultConfig, type RateLimit, type RateLimitStatus, type RequestLogEntry, type RequestLogQuery } from "../../emulator";

let shared: Promise<Emulator> | undefined;

/** One emulator per mocha process, started on first use and stopped by the root afterAll hook. */
export function sharedEmulator(): Promise<Emulator> {
  shared ??= startEmulator();
  return shared;
}

export async function stopSharedEmulator(): Promise<void> {
  const starting = shared;
  shared = undefined;
  if (starting === undefined) return;
  const emulator = await starting.catch(() => undefined);
  await emulator?.stop();
}

/** POST /__emulator/reset: seeds restored, connections, jobs, tokens, faults and the request log wiped. */
export async function resetEmulator(emulator: Emulator): Promise<void> {
  await admin(emulator).post("/reset");
}

/** PUT /__emulator/faults: replaces the fault configuration. */
export async function setFaults(emulator: Emulator, faults: FaultConfig): Promise<void> {
  await admin(emulator).put("/faults", faults);
}

/** PUT /__emulator/rate-limit: a token bucket per API key; undefined removes it. */
export async function setRateLimit(emulator: Emulator, limit: RateLimit | undefined): Promise<RateLimitStatus> {
  const answer = limit === undefined ? await admin(emulator).delete<RateLimitStatus>("/rate-limit") : await admin(emulator).put<RateLimitStatus>("/rate-limit", limit);
  return answer.data;
}

export async function clearFaults(emulator: Emulator): Promise<void> {
  await admin(emulator).delete("/faults");
}

/** GET /__emulator/requests: the recent requests, optionally filtered by route pattern, method, or seq (exclusive). */
export async function requestLog(emulator: Emulator, query: RequestLogQuery = {}): Promise<RequestLogEntry[]> {
  const response = await admin(emulator).get<{ requests: RequestLogEntry[] }>("/requests", { params: query });
  return response.data.requests;
}

function admin(emulator: Emulator) {
  return axios.create({ baseURL: `${emulator.immutaUrl}/__emulator`, proxy: false });
}

/** Immuta's API signed in with a key (the admin's by default): changes "made outside Pulumi", as in the UI. */
export async function immutaApi(emulator: Emulator, apiKey = emulator.apiKey): Promise<AxiosInstance> {
  const { data } = await axios.post<{ token: string }>(`${emulator.immutaUrl}/bim/apikey/authenticate`, { apikey: apiKey }, { proxy: false });
  return axios.create({ baseURL: emulator.immutaUrl, headers: { Authorization: `Bearer ${data.token}` }, proxy: false });
}

/** The seq of the newest request log entry (0 when empty): pass it as `since` to see only what follows. */
export async function lastRequestSeq(emulator: Emulator): Promise<number> {
  return Math.max(0, ...(await requestLog(emulator)).map((entry) => entry.seq));
}
