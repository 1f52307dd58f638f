/**
 * `npm run bench`: timings and throughput of the provider logic against the local emulator, as a
 * table. Numbers depend on the machine; tests never assert on them.
 */
import axios from "axios";
import { startEmulator, type Emulator } from "../emulator";
import { eachAtMost } from "../provider/concurrency";
import { ExternalUserMappingProvider } from "../provider/resources/externalUserMapping";
import { ExternalUserMappingsProvider } from "../provider/resources/externalUserMappings";
import { LakebaseConnectionProvider } from "../provider/resources/lakebaseConnection";

const MAPPINGS = 200;
/** Users of one ExternalUserMappings: the scale the resource is built for. */
const BULK = 5000;

interface Row {
  readonly scenario: string;
  readonly operations: number;
  readonly seconds: number;
  /** Requests Immuta received, when counted. */
  readonly requests?: number;
}

function configured<T extends { configure(req: { config: { get(key: string): string | undefined } }): Promise<void> }>(provider: T, em: Emulator): T {
  const config: Record<string, string> = { "immuta:url": em.immutaUrl, "immuta:apiKey": em.apiKey };
  void provider.configure({ config: { get: (key) => config[key] } });
  return provider;
}

async function timed(scenario: string, operations: number, run: () => Promise<unknown>): Promise<Row> {
  const started = process.hrtime.bigint();
  await run();
  return { scenario, operations, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main(): Promise<void> {
  const em = await startEmulator();
  const admin = axios.create({ baseURL: em.immutaUrl });
  try {
    const { data } = await admin.post("/bim/apikey/authenticate", { apikey: em.apiKey });
    const api = axios.create({ baseURL: em.immutaUrl, headers: { Authorization: `Bearer ${data.token}` } });
    const users = Array.from({ length: MAPPINGS }, (_, i) => `bench${i}@example.com`);
    for (const userid of users) await api.post("/bim/iam/bim/user", { iamid: "bim", userid, profile: { name: userid, email: userid } });

    const connections = configured(new LakebaseConnectionProvider(() => undefined), em);
    const mappings = configured(new ExternalUserMappingProvider(), em);
    const connectionArgs = (name: string) => ({ displayName: name, hostname: em.lakebase.hostname, port: em.lakebase.port, workspaceUrl: em.workspaceUrl, clientId: em.clientId, clientSecret: em.clientSecret });
    const createMappings = (suffix: string) =>
      Promise.all(users.map(async (userId) => mappings.create((await mappings.check({}, { userId, postgresUsername: `pg_${suffix}_${userId.split("@")[0]}` })).inputs)));

    const rows: Row[] = [];
    rows.push(await timed("connection create (preflight, register, first crawl)", 3, async () => {
      for (const name of ["bench_a", "bench_b", "bench_c"]) await connections.create((await connections.check({}, connectionArgs(name))).inputs);
    }));
    rows.push(await timed("connection read", 30, async () => {
      for (let i = 0; i < 30; i++) await connections.read("bench_a", {});
    }));
    rows.push(await timed(`mapping create x${MAPPINGS}, concurrent`, MAPPINGS, () => createMappings("a")));
    rows.push(await timed(`mapping read x${MAPPINGS}, concurrent`, MAPPINGS, () => Promise.all(users.map((userId) => mappings.read(`bim/${userId}`, { userId, iamId: "bim" })))));
    await admin.put("/__emulator/faults", { rate429: 0.1, retryAfterSeconds: 1, rate5xx: 0.1, statuses5xx: [503] });
    rows.push(await timed(`mapping create x${MAPPINGS}, 20% 429/503`, MAPPINGS, () => createMappings("b")));
    await admin.delete("/__emulator/faults");

    // Every request Immuta logs gets the next sequence number; the log keeps only the last 10,000.
    const lastSeq = async () => Math.max(0, ...(await admin.get<{ requests: { seq: number }[] }>("/__emulator/requests")).data.requests.map((entry) => entry.seq));
    const counted = async (scenario: string, operations: number, run: () => Promise<unknown>): Promise<Row> => {
      const since = await lastSeq();
      const row = await timed(scenario, operations, run);
      return { ...row, requests: (await lastSeq()) - since };
    };
    const bulkUsers = Array.from({ length: BULK }, (_, i) => `bulk${i}@example.com`);
    await eachAtMost(8, bulkUsers, (userid) => api.post("/bim/iam/bim/user", { iamid: "bim", userid, profile: { name: userid, email: userid } }));
    const bulk = configured(new ExternalUserMappingsProvider(() => undefined), em);
    const bulkInputs = (await bulk.check({}, { users: Object.fromEntries(bulkUsers.map((userId, i) => [userId, `pg_bulk_${i}`])) })).inputs;
    let bulkState: Awaited<ReturnType<typeof bulk.create>> | undefined;
    const heapBefore = process.memoryUsage().heapUsed;
    rows.push(await counted(`ExternalUserMappings of ${BULK} users: create`, BULK, async () => (bulkState = await bulk.create(bulkInputs))));
    const created = bulkState as Awaited<ReturnType<typeof bulk.create>>;
    rows.push(await counted(`ExternalUserMappings of ${BULK} users: refresh`, BULK, () => bulk.read(created.id, created.outs)));
    rows.push(await counted(`ExternalUserMappings of ${BULK} users: up with nothing to change`, BULK, () => bulk.update(created.id, created.outs, bulkInputs)));
    console.log(`ExternalUserMappings of ${BULK} users: heap ${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB above the start of its create, after its three operations`);

    console.log("| scenario | operations | seconds | operations/s | requests |\n|---|---:|---:|---:|---:|");
    for (const row of rows) console.log(`| ${row.scenario} | ${row.operations} | ${row.seconds.toFixed(2)} | ${(row.operations / row.seconds).toFixed(1)} | ${row.requests ?? ""} |`);
  } finally {
    await em.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
