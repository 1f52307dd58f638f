// Turns the engine events of one `pulumi preview` (or `up`) into the Markdown a reviewer reads on a
// pull request. Pure: no I/O, no CLI, so every rule here is tested from recorded-style events.
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { redact, SECRET_TEXT } from "../../provider/errors";

// The engine's own mask for a secret value is the same text; scrubbing free text is shared with the provider.
export { redact };

/** What a resource goes through in the plan; `same` steps are counted as unchanged instead. */
export type PlanAction = "create" | "update" | "replace" | "delete" | "read" | "import" | "discard";

const PLAN_ACTIONS: readonly PlanAction[] = ["create", "update", "replace", "delete", "read", "import", "discard"];

/** A property value as it may be shown: secrets and unknowns never carry text. */
export type DisplayValue =
  | { readonly kind: "absent" }
  | { readonly kind: "secret" }
  | { readonly kind: "unknown" }
  | { readonly kind: "value"; readonly text: string };

export interface PropertyChange {
  readonly name: string;
  readonly old: DisplayValue;
  readonly new: DisplayValue;
  readonly forcesReplacement: boolean;
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
  readonly maybeCorrupt: boolean;
}

export interface SummaryOptions {
  /** Plain-text secrets the caller knows of (e.g. from its environment): never shown, wherever they appear. */
  readonly knownSecrets?: readonly string[];
}

export interface RenderOptions extends SummaryOptions {
  readonly title?: string;
  /** Set when the operation itself failed: says so at the top, because the plan below is then incomplete. */
  readonly failure?: string;
}

export const LAKEBASE_CONNECTION_TYPE = "pulumi-nodejs:dynamic/immuta:LakebaseConnection";
export const EXTERNAL_USER_MAPPING_TYPE = "pulumi-nodejs:dynamic/immuta:ExternalUserMapping";

const TYPE_LABELS: Readonly<Record<string, string>> = {
  [LAKEBASE_CONNECTION_TYPE]: "LakebaseConnection",
  [EXTERNAL_USER_MAPPING_TYPE]: "ExternalUserMapping",
};

export const CONNECTION_REMOVAL_REASON = "deregistering a connection removes its data sources from Immuta";

// A property with one of these names is masked whatever the event holds: a state written before the
// value was wrapped as a secret would otherwise carry it in plain text.
const SECRET_PROPERTY_NAMES: ReadonlySet<string> = new Set(["clientSecret"]);

const UNKNOWN_TEXT = "[unknown]";
const ABSENT_TEXT = "—";
const VALUE_MAX_LENGTH = 80;
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

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSecretEnvelope(value: unknown): boolean {
  return isRecord(value) && value[specialSigKey] === specialSecretSig;
}

function isMaskedSecret(value: unknown): boolean {
  return value === SECRET_TEXT || isSecretEnvelope(value);
}

function isInternalKey(key: string): boolean {
  return key.startsWith("__");
}

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

/** The resource name: everything after the fourth `::` of `urn:pulumi:stack::project::type::name`. */
export function resourceNameFromUrn(urn: string): string {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts.slice(3).join("::") : urn;
}

/** The top-level property of a detailed-diff path such as `tags.env`, `list[0]` or `["a.b"].c`. */
export function topLevelProperty(path: string): string {
  const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(path);
  if (quoted) {
    return JSON.parse(`"${quoted[1]}"`) as string;
  }
  return /^[^.[]*/.exec(path)?.[0] ?? path;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&#]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, "<br>");
}

function shorten(text: string, maxLength: number): string {
  const chars = Array.from(text);
  return chars.length <= maxLength ? text : `${chars.slice(0, maxLength - 1).join("")}…`;
}

function stripColor(text: string): string {
  // Pulumi's colour directives (`<{%reset%}>`) and ANSI escapes mean nothing in Markdown.
  return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function cleanMessage(message: string, secrets: readonly string[]): string {
  return shorten(redact(stripColor(message).trim(), secrets), MESSAGE_MAX_LENGTH);
}

function collectPlaintextSecrets(value: unknown, underSecretName: boolean, found: Set<string>): void {
  if (typeof value === "string") {
    if (underSecretName && value !== SECRET_TEXT && value !== unknownValue) {
      found.add(value);
    }
  } else if (isSecretEnvelope(value)) {
    // An envelope shown with secrets revealed carries `plaintext`: the JSON text of the value.
    const plaintext = (value as JsonRecord)["plaintext"];
    if (typeof plaintext === "string") {
      found.add(plaintext);
      collectPlaintextSecrets(parseJsonOrText(plaintext), true, found);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item) => collectPlaintextSecrets(item, underSecretName, found));
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      collectPlaintextSecrets(item, underSecretName || SECRET_PROPERTY_NAMES.has(key), found);
    }
  }
}

function stepsOf(event: EngineEvent): StepEventMetadata[] {
  return [event.resourcePreEvent?.metadata, event.resOutputsEvent?.metadata, event.resOpFailedEvent?.metadata].filter(
    (meta): meta is StepEventMetadata => meta != null,
  );
}

function secretsToScrub(events: readonly EngineEvent[], options: SummaryOptions): string[] {
  return [...plaintextSecrets(events), ...(options.knownSecrets ?? [])];
}

/** Every plain-text value that the events hold under a secret property name, so it can be scrubbed from free text. */
export function plaintextSecrets(events: readonly EngineEvent[]): string[] {
  const found = new Set<string>();
  for (const meta of events.flatMap(stepsOf)) {
    for (const state of [meta.old, meta.new]) {
      collectPlaintextSecrets(state?.inputs, false, found);
      collectPlaintextSecrets(state?.outputs, false, found);
    }
  }
  return [...found];
}

function maskSecrets(value: unknown, secrets: readonly string[]): unknown {
  if (isMaskedSecret(value)) {
    return SECRET_TEXT;
  }
  if (typeof value === "string") {
    return redact(value, secrets);
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskSecrets(item, secrets));
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, SECRET_PROPERTY_NAMES.has(key) ? SECRET_TEXT : maskSecrets(item, secrets)]),
    );
  }
  return value;
}

function displayValue(owner: JsonRecord, key: string, secrets: readonly string[]): DisplayValue {
  if (!Object.prototype.hasOwnProperty.call(owner, key)) {
    return { kind: "absent" };
  }
  const value = owner[key];
  if (SECRET_PROPERTY_NAMES.has(key) || isMaskedSecret(value)) {
    return { kind: "secret" };
  }
  if (value === unknownValue) {
    return { kind: "unknown" };
  }
  return { kind: "value", text: shorten(JSON.stringify(maskSecrets(value, secrets)), VALUE_MAX_LENGTH) };
}

function inputsOf(state: StepEventMetadata["old"]): JsonRecord {
  const inputs: unknown = state?.inputs;
  return isRecord(inputs) ? inputs : {};
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

function changedProperties(meta: StepEventMetadata, oldInputs: JsonRecord, newInputs: JsonRecord): Set<string> {
  const detailedDiff = meta.detailedDiff ?? {};
  const reported = new Set([...Object.keys(detailedDiff).map(topLevelProperty), ...(meta.diffs ?? []), ...(meta.keys ?? [])]);
  if (reported.size > 0) {
    return reported;
  }
  // Dynamic providers send no property diff, so the engine may report none: compare the inputs as its display does.
  const all = new Set([...Object.keys(newInputs), ...Object.keys(oldInputs)]);
  return new Set([...all].filter((key) => !sameValue(oldInputs[key], newInputs[key])));
}

function replacementProperties(meta: StepEventMetadata): Set<string> {
  const fromDetail = Object.entries(meta.detailedDiff ?? {})
    .filter(([, diff]) => diff.diffKind.endsWith("-replace"))
    .map(([path]) => topLevelProperty(path));
  return new Set([...(meta.keys ?? []), ...fromDetail]);
}

function propertyChanges(meta: StepEventMetadata, action: PlanAction, secrets: readonly string[]): PropertyChange[] {
  const oldInputs = inputsOf(meta.old);
  const newInputs = inputsOf(meta.new);
  const ordered = [...new Set([...Object.keys(newInputs), ...Object.keys(oldInputs)])];
  let shown: string[];
  if (action === "create" || action === "import") {
    shown = Object.keys(newInputs);
  } else if (action === "update" || action === "replace") {
    const changed = changedProperties(meta, oldInputs, newInputs);
    shown = [...ordered.filter((key) => changed.has(key)), ...[...changed].filter((key) => !ordered.includes(key))];
  } else {
    shown = [];
  }
  const forcing = replacementProperties(meta);
  return shown
    .filter((key) => !isInternalKey(key))
    .map((name) => ({
      name,
      old: displayValue(oldInputs, name, secrets),
      new: displayValue(newInputs, name, secrets),
      forcesReplacement: action === "replace" && forcing.has(name),
    }));
}

interface ResourceSteps {
  readonly urn: string;
  readonly steps: StepEventMetadata[];
  failed: boolean;
}

function groupStepsByUrn(events: readonly EngineEvent[]): ResourceSteps[] {
  const byUrn = new Map<string, ResourceSteps>();
  const entry = (urn: string): ResourceSteps => {
    const existing = byUrn.get(urn);
    if (existing) {
      return existing;
    }
    const created: ResourceSteps = { urn, steps: [], failed: false };
    byUrn.set(urn, created);
    return created;
  };
  for (const event of events) {
    const pre = event.resourcePreEvent?.metadata;
    if (pre) {
      entry(pre.urn).steps.push(pre);
    }
    const failed = event.resOpFailedEvent?.metadata;
    if (failed) {
      entry(failed.urn).failed = true;
    }
  }
  return [...byUrn.values()];
}

function rowFor(resource: ResourceSteps, secrets: readonly string[]): PlanRow | null {
  const actions = new Set(resource.steps.map((step) => OP_ACTIONS[step.op]).filter((a): a is PlanAction => a !== null));
  const action = ACTION_PRIORITY.find((candidate) => actions.has(candidate));
  if (action === undefined) {
    return null;
  }
  // For a replacement, the create-replacement/replace steps carry both states and the diff; delete-replaced only the old one.
  const detail =
    resource.steps.find((step) => OP_ACTIONS[step.op] === action && step.old != null && step.new != null) ??
    resource.steps.find((step) => OP_ACTIONS[step.op] === action) ??
    resource.steps[0];
  const type = detail.type;
  const label = typeLabel(type);
  const removesConnection = type === LAKEBASE_CONNECTION_TYPE && (action === "replace" || action === "delete");
  const id = detail.old?.id || detail.new?.id || null;
  return {
    urn: resource.urn,
    name: resourceNameFromUrn(resource.urn),
    type,
    typeLabel: label,
    action,
    id,
    destructiveReason: removesConnection ? CONNECTION_REMOVAL_REASON : null,
    failed: resource.failed,
    changes: propertyChanges(detail, action, secrets),
  };
}

function errorsFrom(events: readonly EngineEvent[], secrets: readonly string[]): PlanError[] {
  return events
    .map((event) => event.diagnosticEvent)
    .filter((diag): diag is NonNullable<EngineEvent["diagnosticEvent"]> => diag != null && diag.severity === "error" && !diag.ephemeral)
    .map((diag) => ({
      resource: diag.urn ? resourceNameFromUrn(diag.urn) : null,
      typeLabel: diag.urn ? typeLabel(typeFromUrn(diag.urn)) : null,
      message: cleanMessage(diag.message, secrets),
    }))
    .filter((error) => error.message.length > 0);
}

/** The type token inside a URN; a child's qualified type `parent$child` yields the child's. */
export function typeFromUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? qualified;
}

export function summarisePlan(events: readonly EngineEvent[], options: SummaryOptions = {}): PlanSummary {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const secrets = secretsToScrub(ordered, options);
  const resources = groupStepsByUrn(ordered);
  const rows = resources.map((resource) => rowFor(resource, secrets)).filter((row): row is PlanRow => row !== null);
  const counts = Object.fromEntries(PLAN_ACTIONS.map((action) => [action, rows.filter((row) => row.action === action).length])) as Record<
    PlanAction,
    number
  >;
  return {
    rows,
    counts,
    unchanged: resources.length - rows.length,
    errors: errorsFrom(ordered, secrets),
    maybeCorrupt: ordered.some((event) => event.summaryEvent?.maybeCorrupt === true),
  };
}

function renderValue(value: DisplayValue): string {
  switch (value.kind) {
    case "absent":
      return ABSENT_TEXT;
    case "secret":
      return SECRET_TEXT;
    case "unknown":
      return UNKNOWN_TEXT;
    case "value":
      return escapeMarkdown(value.text);
  }
}

function renderChange(change: PropertyChange, action: PlanAction): string {
  const name = escapeMarkdown(change.name);
  const forced = change.forcesReplacement ? " (forces replacement)" : "";
  if (action === "create" || action === "import") {
    return `${name}: ${renderValue(change.new)}`;
  }
  return `${name}: ${renderValue(change.old)} → ${renderValue(change.new)}${forced}`;
}

function renderAction(row: PlanRow): string {
  const flags = [row.destructiveReason !== null ? "⚠️ DESTRUCTIVE" : "", row.failed ? "❌ failed" : ""].filter(Boolean);
  return [`**${row.action}**`, ...flags].join(" ");
}

function renderCounts(summary: PlanSummary): string {
  const parts = PLAN_ACTIONS.filter((action) => summary.counts[action] > 0).map((action) => `${summary.counts[action]} ${action}`);
  if (summary.unchanged > 0) {
    parts.push(`${summary.unchanged} unchanged`);
  }
  return `**Changes:** ${parts.join(" · ")}`;
}

function renderDestructiveWarning(rows: readonly PlanRow[]): string[] {
  const destructive = rows.filter((row) => row.destructiveReason !== null);
  if (destructive.length === 0) {
    return [];
  }
  const list = destructive.map((row) => `${escapeMarkdown(row.name)} (${row.typeLabel}, ${row.action})`).join(", ");
  const reasons = [...new Set(destructive.map((row) => row.destructiveReason))].join("; ");
  return [
    "> [!WARNING]",
    `> **DESTRUCTIVE:** this plan replaces or deletes ${list}. Review before merging: ${escapeMarkdown(reasons)}.`,
    "",
  ];
}

function renderChanges(row: PlanRow): string {
  if (row.action === "delete") {
    // A deletion changes no property; its id says which object goes away.
    return row.id === null ? "" : `id: ${escapeMarkdown(row.id)}`;
  }
  if (row.changes.length === 0 && (row.action === "update" || row.action === "replace")) {
    return "only internal properties changed";
  }
  return row.changes.map((change) => renderChange(change, row.action)).join("<br>");
}

function renderTable(rows: readonly PlanRow[]): string[] {
  return [
    "| Resource | Type | Action | Changes |",
    "| --- | --- | --- | --- |",
    ...rows.map((row) => {
      return `| ${escapeMarkdown(row.name)} | ${escapeMarkdown(row.typeLabel)} | ${renderAction(row)} | ${renderChanges(row)} |`;
    }),
    "",
  ];
}

function renderErrors(errors: readonly PlanError[]): string[] {
  if (errors.length === 0) {
    return [];
  }
  return [
    "### Errors",
    "",
    ...errors.map((error) => {
      const where = error.resource !== null ? `**${escapeMarkdown(error.resource)}** (${escapeMarkdown(error.typeLabel ?? "")}): ` : "";
      return `- ${where}${escapeMarkdown(error.message)}`;
    }),
    "",
  ];
}

export function renderPreviewSummary(events: readonly EngineEvent[], options: RenderOptions = {}): string {
  const summary = summarisePlan(events, options);
  const lines = [`## ${escapeMarkdown(options.title ?? "Pulumi preview")}`, ""];
  if (options.failure !== undefined) {
    const reason = cleanMessage(options.failure, secretsToScrub(events, options));
    lines.push("> [!CAUTION]", `> **The operation failed**, so the plan below may be incomplete: ${escapeMarkdown(reason)}`, "");
  }
  lines.push(...renderDestructiveWarning(summary.rows));
  if (summary.maybeCorrupt) {
    lines.push("> [!CAUTION]", "> The engine reports that some resources may be in an invalid state: run `pulumi refresh`.", "");
  }
  if (summary.rows.length === 0) {
    const unchanged = summary.unchanged > 0 ? ` ${summary.unchanged} resource${summary.unchanged === 1 ? "" : "s"} unchanged.` : "";
    const failed = options.failure !== undefined || summary.errors.length > 0;
    lines.push(failed ? "**No resource changes were recorded before the failure.**" : `**No changes.**${unchanged}`, "");
  } else {
    lines.push(renderCounts(summary), "", ...renderTable(summary.rows));
  }
  lines.push(...renderErrors(summary.errors));
  return `${lines.join("\n").trimEnd()}\n`;
}
