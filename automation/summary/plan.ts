// The plan a reviewer reads, from the engine events of one `pulumi preview` (or `up`): a row per
// resource that changes, with each changed property old → new, secrets masked. Pure: no I/O, no CLI,
// so every rule here is tested on events recorded from the real engine.
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { redact } from "../../provider/errors";
import { LINE_PREFIX } from "../../provider/lines";
import { engineErrors, resourceNameFromUrn, stripColor, telling, typeFromUrn } from "../events/diagnostics";
import { isMaskedSecret, isRecord, maskSecrets, plaintextSecrets, type JsonRecord } from "./mask";
import { destructiveReason, isEngineBookkeeping, SECRET_PROPERTY_NAMES, typeLabel } from "./policy";

/** What a resource goes through in the plan; `same` steps are counted as unchanged instead. */
export type PlanAction = "create" | "update" | "replace" | "delete" | "read" | "import" | "discard";

export const PLAN_ACTIONS: readonly PlanAction[] = ["create", "update", "replace", "delete", "read", "import", "discard"];

/** A property value as it may be shown: secrets and unknowns never carry text. */
export type DisplayValue =
  | { readonly kind: "absent" }
  | { readonly kind: "secret" }
  | { readonly kind: "unknown" }
  | { readonly kind: "value"; readonly text: string };

export interface PropertyChange {
  /** The property, or one key of a map-valued property, written as Pulumi writes paths: `users["bob@example.com"]`. */
  readonly name: string;
  readonly old: DisplayValue;
  readonly new: DisplayValue;
  readonly forcesReplacement: boolean;
  /**
   * The engine masks a secret's old and new value alike, so a secret that changed looks unchanged;
   * when no visible input differs, the secrets are what changed.
   */
  readonly secretChange: boolean;
}

export interface PlanRow {
  readonly urn: string;
  readonly name: string;
  /** The raw type token, e.g. `pulumi-nodejs:dynamic/immuta:LakebaseConnection`. */
  readonly type: string;
  /** `LakebaseConnection`, `ExternalUserMapping`, or the raw type for anything else. */
  readonly typeLabel: string;
  readonly action: PlanAction;
  readonly id: string | null;
  /** Why this change destroys something a reviewer cares about, or null when it does not. */
  readonly destructiveReason: string | null;
  /** True when the engine reported this resource's operation as failed (during `up`). */
  readonly failed: boolean;
  readonly changes: readonly PropertyChange[];
  /** For each map-valued property whose changed keys were more than are listed: how many were left out. */
  readonly unlistedKeys: Readonly<Record<string, number>>;
}

export interface PlanError {
  readonly resource: string | null;
  readonly typeLabel: string | null;
  readonly message: string;
}

export interface PlanSummary {
  readonly rows: readonly PlanRow[];
  readonly counts: Readonly<Record<PlanAction, number>>;
  readonly unchanged: number;
  readonly errors: readonly PlanError[];
  /**
   * What the provider printed, without its prefix: in a preview, what it can only say in words
   * (how many users exclusive: true returns to unset). The CLI's --diff display leaves these out.
   */
  readonly notes: readonly string[];
  readonly maybeCorrupt: boolean;
}

export interface SummaryOptions {
  /** Plain-text secrets the caller knows of (e.g. from its environment): never shown, wherever they appear. */
  readonly knownSecrets?: readonly string[];
}

const VALUE_MAX_LENGTH = 80;
/** Provider lines kept: a preview prints one per resource at most, an up one per operation. */
const NOTES_MAX = 20;
/** Changed keys listed per map-valued property: enough to review, few enough that other resources still fit. */
const MAP_KEYS_MAX = 25;
const MESSAGE_MAX_LENGTH = 2000;

const OP_ACTIONS: Readonly<Record<OpType, PlanAction | null>> = {
  same: null,
  refresh: null,
  "remove-pending-replace": null,
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  read: "read",
  "read-replacement": "read",
  import: "import",
  "import-replacement": "import",
  discard: "discard",
  "discard-replaced": "discard",
};

// When one URN has several steps, the most consequential one names the row.
const ACTION_PRIORITY: readonly PlanAction[] = ["replace", "delete", "create", "import", "update", "read", "discard"];

export function shorten(text: string, maxLength: number): string {
  const chars = Array.from(text);
  return chars.length <= maxLength ? text : `${chars.slice(0, maxLength - 1).join("")}…`;
}

/** The top-level property of a detailed-diff path such as `tags.env`, `list[0]` or `["a.b"].c`. */
export function topLevelProperty(path: string): string {
  const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(path);
  if (quoted) return JSON.parse(`"${quoted[1]}"`) as string;
  return /^[^.[]*/.exec(path)?.[0] ?? path;
}

/** Free text from the engine, made safe to show: no secret, bounded length. */
export function cleanMessage(message: string, secrets: readonly string[]): string {
  return shorten(redact(message.trim(), secrets), MESSAGE_MAX_LENGTH);
}

/** Every secret to scrub from what the events and the caller know. */
export function secretsToScrub(events: readonly EngineEvent[], options: SummaryOptions): string[] {
  return [...plaintextSecrets(events), ...(options.knownSecrets ?? [])];
}

function displayValue(owner: JsonRecord, key: string, secrets: readonly string[]): DisplayValue {
  if (!Object.prototype.hasOwnProperty.call(owner, key)) return { kind: "absent" };
  const value = owner[key];
  if (SECRET_PROPERTY_NAMES.has(key) || isMaskedSecret(value)) return { kind: "secret" };
  if (value === unknownValue) return { kind: "unknown" };
  return { kind: "value", text: shorten(JSON.stringify(maskSecrets(value, secrets)), VALUE_MAX_LENGTH) };
}

function inputsOf(state: StepEventMetadata["old"]): JsonRecord {
  const inputs: unknown = state?.inputs;
  return isRecord(inputs) ? inputs : {};
}

function equalValues(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equalValues(item, b[i]));
  if (isRecord(a) && isRecord(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((key) => equalValues(a[key], b[key]));
  return a === b;
}

/**
 * What the engine names as changed, and every input that differs: a dynamic provider's Diff names no
 * property for an update and only the replacing ones for a replacement, so the engine's own display
 * compares the inputs too.
 */
function changedProperties(meta: StepEventMetadata, oldInputs: JsonRecord, newInputs: JsonRecord): Set<string> {
  const reported = [...Object.keys(meta.detailedDiff ?? {}).map(topLevelProperty), ...(meta.diffs ?? []), ...(meta.keys ?? [])];
  const differing = [...new Set([...Object.keys(newInputs), ...Object.keys(oldInputs)])].filter((key) => !equalValues(oldInputs[key], newInputs[key]));
  return new Set([...reported, ...differing]);
}

function replacementProperties(meta: StepEventMetadata): Set<string> {
  const fromDetail = Object.entries(meta.detailedDiff ?? {})
    .filter(([, diff]) => diff.diffKind.endsWith("-replace"))
    .map(([path]) => topLevelProperty(path));
  return new Set([...(meta.keys ?? []), ...fromDetail]);
}

function propertyChanges(meta: StepEventMetadata, action: PlanAction, secrets: readonly string[]): Pick<PlanRow, "changes" | "unlistedKeys"> {
  const oldInputs = inputsOf(meta.old);
  const newInputs = inputsOf(meta.new);
  let shown: string[] = [];
  if (action === "create" || action === "import") {
    shown = Object.keys(newInputs);
  } else if (action === "update" || action === "replace") {
    const changed = changedProperties(meta, oldInputs, newInputs);
    const ordered = [...new Set([...Object.keys(newInputs), ...Object.keys(oldInputs)])];
    shown = [...ordered.filter((key) => changed.has(key)), ...[...changed].filter((key) => !ordered.includes(key))];
  }
  const forcing = replacementProperties(meta);
  const visible = shown.filter((key) => !key.startsWith("__"));
  const secretChange = (action === "update" || action === "replace") && visible.length === 0;
  const names = secretChange ? Object.keys(newInputs).filter((key) => isSecretInput(newInputs, key) || isSecretInput(oldInputs, key)) : visible;
  const changes: PropertyChange[] = [];
  const unlistedKeys: Record<string, number> = {};
  for (const name of names) {
    const forcesReplacement = action === "replace" && forcing.has(name);
    const entries = mapEntries(oldInputs, newInputs, name);
    if (entries === undefined || secretChange) {
      changes.push({ name, old: displayValue(oldInputs, name, secrets), new: displayValue(newInputs, name, secrets), forcesReplacement, secretChange });
      continue;
    }
    const keys = [...new Set([...Object.keys(entries.new), ...Object.keys(entries.old)])].filter((key) => !equalValues(entries.old[key], entries.new[key]));
    for (const key of keys.slice(0, MAP_KEYS_MAX)) {
      changes.push({ name: `${name}[${JSON.stringify(key)}]`, old: displayValue(entries.old, key, secrets), new: displayValue(entries.new, key, secrets), forcesReplacement, secretChange });
    }
    if (keys.length > MAP_KEYS_MAX) unlistedKeys[name] = keys.length - MAP_KEYS_MAX;
  }
  return { changes, unlistedKeys };
}

/**
 * The old and new entries of a property whose value is a map on both sides (or on the one side
 * where it exists), such as ExternalUserMappings' users: listed key by key, so that a reviewer sees
 * which users change rather than the start of one long value.
 */
function mapEntries(oldInputs: JsonRecord, newInputs: JsonRecord, name: string): { old: JsonRecord; new: JsonRecord } | undefined {
  const [before, after] = [oldInputs[name], newInputs[name]];
  const isMap = (value: unknown): value is JsonRecord => isRecord(value) && !isMaskedSecret(value) && !SECRET_PROPERTY_NAMES.has(name);
  if (!(isMap(before) || before === undefined) || !(isMap(after) || after === undefined) || (before === undefined && after === undefined)) return undefined;
  return { old: before ?? {}, new: after ?? {} };
}

function isSecretInput(inputs: JsonRecord, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(inputs, key) && (SECRET_PROPERTY_NAMES.has(key) || isMaskedSecret(inputs[key]));
}

interface ResourceSteps {
  readonly urn: string;
  readonly steps: StepEventMetadata[];
  failed: boolean;
}

function groupStepsByUrn(events: readonly EngineEvent[]): ResourceSteps[] {
  const byUrn = new Map<string, ResourceSteps>();
  const entry = (urn: string): ResourceSteps => {
    let existing = byUrn.get(urn);
    if (existing === undefined) {
      existing = { urn, steps: [], failed: false };
      byUrn.set(urn, existing);
    }
    return existing;
  };
  for (const event of events) {
    const pre = event.resourcePreEvent?.metadata;
    if (pre && !isEngineBookkeeping(pre.type)) entry(pre.urn).steps.push(pre);
    const failed = event.resOpFailedEvent?.metadata;
    if (failed && !isEngineBookkeeping(failed.type)) entry(failed.urn).failed = true;
  }
  return [...byUrn.values()];
}

function rowFor(resource: ResourceSteps, secrets: readonly string[]): PlanRow | null {
  const actions = new Set(resource.steps.map((step) => OP_ACTIONS[step.op]).filter((a): a is PlanAction => a !== null));
  const action = ACTION_PRIORITY.find((candidate) => actions.has(candidate));
  if (action === undefined) return null;
  // For a replacement, the create-replacement/replace steps carry both states and the diff; delete-replaced only the old one.
  const detail =
    resource.steps.find((step) => OP_ACTIONS[step.op] === action && step.old != null && step.new != null) ??
    resource.steps.find((step) => OP_ACTIONS[step.op] === action) ??
    resource.steps[0];
  return {
    urn: resource.urn,
    name: resourceNameFromUrn(resource.urn),
    type: detail.type,
    typeLabel: typeLabel(detail.type),
    action,
    id: detail.old?.id || detail.new?.id || null,
    destructiveReason: destructiveReason(detail.type, action),
    failed: resource.failed,
    ...propertyChanges(detail, action, secrets),
  };
}

export function summarisePlan(events: readonly EngineEvent[], options: SummaryOptions = {}): PlanSummary {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const secrets = secretsToScrub(ordered, options);
  const resources = groupStepsByUrn(ordered);
  const rows = resources.map((resource) => rowFor(resource, secrets)).filter((row): row is PlanRow => row !== null);
  const counts = Object.fromEntries(PLAN_ACTIONS.map((action) => [action, rows.filter((row) => row.action === action).length])) as Record<PlanAction, number>;
  return {
    rows,
    counts,
    unchanged: resources.length - rows.length,
    errors: telling(engineErrors(ordered))
      .map((error) => ({
        resource: error.urn === null ? null : resourceNameFromUrn(error.urn),
        typeLabel: error.urn === null ? null : typeLabel(typeFromUrn(error.urn)),
        message: cleanMessage(error.message, secrets),
      }))
      .filter((error) => error.message.length > 0),
    notes: providerNotes(ordered, secrets),
    maybeCorrupt: ordered.some((event) => event.summaryEvent?.maybeCorrupt === true),
  };
}

/** The provider's lines (stdout and stderr of its host, which the engine passes on as info diagnostics), in order, each once. */
function providerNotes(events: readonly EngineEvent[], secrets: readonly string[]): string[] {
  const lines = events
    .map((event) => event.diagnosticEvent)
    .filter((diag) => diag != null && (diag.severity === "info" || diag.severity === "info#err") && !diag.ephemeral)
    .flatMap((diag) => stripColor(diag?.message ?? "").split("\n"))
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${LINE_PREFIX} `))
    .map((line) => cleanMessage(line.slice(LINE_PREFIX.length + 1), secrets));
  return [...new Set(lines)].slice(0, NOTES_MAX);
}
