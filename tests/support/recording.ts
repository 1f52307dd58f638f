// Recorded engine traffic, made repeatable: what differs from one run to the next (stack name,
// ports, credentials, times, folders) becomes a fixed stand-in, so that fixtures can be committed
// and a re-recording's diff shows only what the engine itself changed.
import type { EmulatorInfo } from "../../emulator";

export interface Volatile {
  readonly stackName: string;
  readonly emulator: EmulatorInfo;
  /** Folders of this machine or run (temporary folders, the checkout, the CLI's folder). */
  readonly paths: readonly string[];
  /** Plain-text credentials of the run beyond the emulator's own (the passphrase, say). */
  readonly secrets: readonly string[];
}

/** The stand-ins a fixture holds instead of the run's values; tests look for these. */
export const STAND_INS = {
  stackName: "dev",
  immutaUrl: "http://127.0.0.1:7000",
  lakebasePort: "5433",
  clientId: "00000000-0000-4000-8000-000000000001",
  lacksCreateRoleClientId: "00000000-0000-4000-8000-000000000002",
  lacksSuperuserClientId: "00000000-0000-4000-8000-000000000003",
  apiKey: "<immuta-api-key>",
  clientSecret: "<client-secret>",
  otherSecret: "<secret>",
  path: "<path>",
  time: "2026-01-01T00:00:00.000Z",
} as const;

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;
// Ids the engine or a provider draws at random (the default provider's UUID, an ExternalUserMappings'
// `<iam>/<8 hex>`); the stand-in UUIDs above start with zeros and stay.
const RANDOM_UUID = /\b(?!00000000-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const MAPPINGS_ID = /\bbim\/[0-9a-f]{8}\b/g;
const LOOPBACK_PORT = /127\.0\.0\.1:\d+/g;
// Values that only say when or over which socket something happened.
const TIMING_KEYS = new Set(["timestamp", "duration"]);
const OPAQUE_KEYS = new Set(["randomSeed", "resourceStatusToken", "resourceStatusAddress", "engineAddress", "mapperTarget", "loaderTarget", "resolverTarget"]);

export function normaliseRecording(json: string, volatile: Volatile): string {
  const { emulator } = volatile;
  const replacements: [string, string][] = [
    [emulator.apiKey, STAND_INS.apiKey],
    [emulator.clientSecret, STAND_INS.clientSecret],
    [emulator.principals.lacksCreateRole.clientSecret, STAND_INS.clientSecret],
    [emulator.principals.lacksSuperuser.clientSecret, STAND_INS.clientSecret],
    [emulator.noPermissionApiKey, STAND_INS.apiKey],
    [emulator.adminPostgresUrl, STAND_INS.otherSecret],
    ...volatile.secrets.map((secret): [string, string] => [secret, STAND_INS.otherSecret]),
    [emulator.immutaUrl, STAND_INS.immutaUrl],
    [emulator.workspaceUrl, STAND_INS.immutaUrl],
    [emulator.clientId, STAND_INS.clientId],
    [emulator.principals.lacksCreateRole.clientId, STAND_INS.lacksCreateRoleClientId],
    [emulator.principals.lacksSuperuser.clientId, STAND_INS.lacksSuperuserClientId],
    ...volatile.paths.map((dir): [string, string] => [dir, STAND_INS.path]),
    [volatile.stackName, STAND_INS.stackName],
  ];
  let text = replacements
    .filter(([value]) => value.length > 0)
    .sort(([a], [b]) => b.length - a.length)
    .reduce((result, [value, standIn]) => result.split(value).join(standIn), json);
  text = text.replace(new RegExp(`\\b${emulator.lakebase.port}\\b`, "g"), STAND_INS.lakebasePort).replace(ISO_TIME, STAND_INS.time);
  text = numbered(numbered(text, RANDOM_UUID, "uuid"), MAPPINGS_ID, "bim/mappings");
  return JSON.stringify(normaliseValue(JSON.parse(text)), null, 1);
}

/** Each distinct match becomes `<what-n>`, n counting first appearances, so that equal ids stay equal. */
function numbered(text: string, pattern: RegExp, what: string): string {
  const seen = new Map<string, string>();
  return text.replace(pattern, (match) => {
    if (!seen.has(match)) seen.set(match, `<${what}-${seen.size + 1}>`);
    return seen.get(match) as string;
  });
}

function normaliseValue(value: unknown, key?: string): unknown {
  if (key !== undefined && TIMING_KEYS.has(key) && typeof value === "number") return 0;
  if (key !== undefined && OPAQUE_KEYS.has(key) && typeof value === "string") return `<${key}>`;
  if (typeof value === "string") return value.replace(LOOPBACK_PORT, (match) => (match === STAND_INS.immutaUrl.slice(7) ? match : "127.0.0.1:<port>"));
  if (Array.isArray(value)) return value.map((item) => normaliseValue(item));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, normaliseValue(inner, name)]));
  }
  return value;
}
