// The engine's error diagnostics: how a failed preview or update says what went wrong, per
// resource, in the provider's own words. Read from events rather than from the CLI's text output.
import type { EngineEvent } from "@pulumi/pulumi/automation";

export interface EngineError {
  /** The resource the error is about, or null for the operation as a whole ("update failed"). */
  readonly urn: string | null;
  /** The message without colour directives or surrounding whitespace. */
  readonly message: string;
}

/** Non-ephemeral error diagnostics, in the order the engine sent them. */
export function engineErrors(events: readonly EngineEvent[]): EngineError[] {
  return [...events]
    .sort((a, b) => a.sequence - b.sequence)
    .map((event) => event.diagnosticEvent)
    .filter((diag): diag is NonNullable<EngineEvent["diagnosticEvent"]> => diag != null && diag.severity === "error" && !diag.ephemeral)
    .map((diag) => ({ urn: diag.urn || null, message: stripColor(diag.message).trim() }))
    .filter((error) => error.message.length > 0);
}

/** The engine's generic last words, which add nothing to the resource errors before them. */
const GENERIC_MESSAGES: ReadonlySet<string> = new Set(["update failed", "preview failed", "refresh failed", "destroy failed"]);

/** The errors that say what went wrong: the generic "update failed" only when there is nothing else. */
export function telling(errors: readonly EngineError[]): EngineError[] {
  const specific = errors.filter((error) => !GENERIC_MESSAGES.has(error.message));
  return specific.length > 0 ? specific : [...errors];
}

/** Pulumi's colour directives (`<{%reset%}>`) and ANSI escapes. */
export function stripColor(text: string): string {
  return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

/** The resource name: everything after the fourth `::` of `urn:pulumi:stack::project::type::name`. */
export function resourceNameFromUrn(urn: string): string {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts.slice(3).join("::") : urn;
}

/** The type token inside a URN; a child's qualified type `parent$child` yields the child's. */
export function typeFromUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? qualified;
}
