// The plan as the Markdown a reviewer reads on a pull request: warnings first, then errors, then a
// table of the resources that change. Never longer than a pull-request comment may be.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { SECRET_TEXT } from "../../provider/errors";
import { stripColor } from "../events/diagnostics";
import { cleanMessage, PLAN_ACTIONS, secretsToScrub, summarisePlan, type DisplayValue, type PlanAction, type PlanError, type PlanRow, type PlanSummary, type PropertyChange, type SummaryOptions } from "./plan";

export interface RenderOptions extends SummaryOptions {
  readonly title?: string;
  /** Set when the operation itself failed: says so at the top, because the plan below is then incomplete. */
  readonly failure?: string;
}

/** GitHub refuses a pull-request comment longer than this. */
export const MAX_SUMMARY_LENGTH = 65_536;
/** The destructive warning names at most this many resources; the table lists them all (within the cap). */
const WARNING_MAX_NAMES = 20;
const UNKNOWN_TEXT = "[unknown]";
const ABSENT_TEXT = "—";

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&#]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, "<br>");
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
  if (action === "create" || action === "import") return `${name}: ${renderValue(change.new)}`;
  const notes = [change.forcesReplacement ? "forces replacement" : "", change.secretChange ? "no visible input changed, so this secret did" : ""].filter(Boolean);
  return `${name}: ${renderValue(change.old)} → ${renderValue(change.new)}${notes.map((note) => ` (${note})`).join("")}`;
}

function renderAction(row: PlanRow): string {
  const flags = [row.destructiveReason !== null ? "⚠️ DESTRUCTIVE" : "", row.failed ? "❌ failed" : ""].filter(Boolean);
  return [`**${row.action}**`, ...flags].join(" ");
}

function renderCounts(summary: PlanSummary): string {
  const parts = PLAN_ACTIONS.filter((action) => summary.counts[action] > 0).map((action) => `${summary.counts[action]} ${action}`);
  if (summary.unchanged > 0) parts.push(`${summary.unchanged} unchanged`);
  return `**Changes:** ${parts.join(" · ")}`;
}

function renderDestructiveWarning(rows: readonly PlanRow[]): string[] {
  const destructive = rows.filter((row) => row.destructiveReason !== null);
  if (destructive.length === 0) return [];
  const named = destructive.slice(0, WARNING_MAX_NAMES).map((row) => `${escapeMarkdown(row.name)} (${row.typeLabel}, ${row.action})`);
  const more = destructive.length > WARNING_MAX_NAMES ? ` and ${destructive.length - WARNING_MAX_NAMES} more` : "";
  const reasons = [...new Set(destructive.map((row) => row.destructiveReason))].join("; ");
  return ["> [!WARNING]", `> **DESTRUCTIVE:** this plan replaces or deletes ${named.join(", ")}${more}. Review before merging: ${escapeMarkdown(reasons)}.`, ""];
}

function renderChanges(row: PlanRow): string {
  // A deletion changes no property; its id says which object goes away.
  if (row.action === "delete") return row.id === null ? "" : `id: ${escapeMarkdown(row.id)}`;
  if (row.changes.length === 0 && (row.action === "update" || row.action === "replace")) return "only internal properties changed";
  const unlisted = Object.entries(row.unlistedKeys).map(([name, count]) => `${escapeMarkdown(name)}: ${count.toLocaleString("en-US")} more ${count === 1 ? "key" : "keys"} not listed`);
  return [...row.changes.map((change) => renderChange(change, row.action)), ...unlisted].join("<br>");
}

function renderRow(row: PlanRow): string {
  return `| ${escapeMarkdown(row.name)} | ${escapeMarkdown(row.typeLabel)} | ${renderAction(row)} | ${renderChanges(row)} |`;
}

function renderError(error: PlanError): string {
  const where = error.resource !== null ? `**${escapeMarkdown(error.resource)}** (${escapeMarkdown(error.typeLabel ?? "")}): ` : "";
  return `- ${where}${escapeMarkdown(error.message)}`;
}

/** What did not fit, said where it was left out. */
function omissionNote(rows: number, errors: number): string {
  const parts = [rows > 0 ? `${rows} more resource${rows === 1 ? "" : "s"}` : "", errors > 0 ? `${errors} more error${errors === 1 ? "" : "s"}` : ""].filter(Boolean);
  return (
    `_${parts.join(" and ")} not shown: this summary is cut at ${MAX_SUMMARY_LENGTH.toLocaleString("en-US")} characters, ` +
    "the longest comment a pull request takes. The job's log has the whole plan._"
  );
}

export function renderPreviewSummary(events: readonly EngineEvent[], options: RenderOptions = {}): string {
  const summary = summarisePlan(events, options);
  const head = [`## ${escapeMarkdown(options.title ?? "Pulumi preview")}`, ""];
  if (options.failure !== undefined) {
    const reason = cleanMessage(stripColor(options.failure), secretsToScrub(events, options));
    head.push("> [!CAUTION]", `> **The operation failed**, so the plan below may be incomplete: ${escapeMarkdown(reason)}`, "");
  }
  head.push(...renderDestructiveWarning(summary.rows));
  if (summary.maybeCorrupt) head.push("> [!CAUTION]", "> The engine reports that some resources may be in an invalid state: run `pulumi refresh`.", "");
  if (summary.rows.length === 0) {
    const unchanged = summary.unchanged > 0 ? ` ${summary.unchanged} resource${summary.unchanged === 1 ? "" : "s"} unchanged.` : "";
    const failed = options.failure !== undefined || summary.errors.length > 0;
    head.push(failed ? "**No resource changes were recorded before the failure.**" : `**No changes.**${unchanged}`, "");
  } else {
    head.push(renderCounts(summary), "");
  }
  return fitted(head, summary.errors.map(renderError), summary.notes.map((note) => `- ${escapeMarkdown(note)}`), summary.rows.map(renderRow));
}

/**
 * The head, then as many error lines, provider notes and table rows as fit, in that order: a
 * reviewer needs the errors more than the last rows of a long table.
 */
function fitted(head: readonly string[], errors: readonly string[], notes: readonly string[], rows: readonly string[]): string {
  const errorsTitle = ["### Errors", ""];
  const notesTitle = ["### From the provider", ""];
  const tableHead = ["| Resource | Type | Action | Changes |", "| --- | --- | --- | --- |"];
  // Room kept for the note, the section titles and the line breaks between the parts.
  const budget = MAX_SUMMARY_LENGTH - omissionNote(rows.length, errors.length).length - [...errorsTitle, ...notesTitle, ...tableHead].join("\n").length - 16;
  let used = head.join("\n").length;
  const take = (lines: readonly string[]): string[] => {
    const kept: string[] = [];
    for (const line of lines) {
      if (used + line.length + 1 > budget) break;
      kept.push(line);
      used += line.length + 1;
    }
    return kept;
  };
  const shownErrors = take(errors);
  const shownNotes = take(notes);
  const shownRows = take(rows);
  const lines = [...head];
  if (shownErrors.length > 0) lines.push(...errorsTitle, ...shownErrors, "");
  if (shownNotes.length > 0) lines.push(...notesTitle, ...shownNotes, "");
  if (shownRows.length > 0) lines.push(...tableHead, ...shownRows, "");
  if (shownErrors.length < errors.length || shownRows.length < rows.length) lines.push(omissionNote(rows.length - shownRows.length, errors.length - shownErrors.length), "");
  return `${lines.join("\n").trimEnd()}\n`;
}
