// Why a Pulumi operation failed, for a log line or the top of a summary: the engine's own error
// diagnostics when it sent any, else what kind of CLI failure it was. Never the CLI's text output,
// whose wording is not a contract.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { redact } from "../../provider/errors";
import { engineErrors, resourceNameFromUrn, telling } from "./diagnostics";

export function describeFailure(events: readonly EngineEvent[], error: unknown, secrets: readonly string[]): string {
  const reported = telling(engineErrors(events)).map((e) => (e.urn === null ? e.message : `${resourceNameFromUrn(e.urn)}: ${e.message}`));
  const reason = reported.length > 0 ? reported.join("\n") : withoutDiagnostics(error);
  return redact(reason, secrets);
}

function withoutDiagnostics(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  switch (error.name) {
    case "ConcurrentUpdateError":
      return "another update of this stack is in progress (its lock is held); wait for it, or run `pulumi cancel` if it died";
    case "StackNotFoundError":
      return "the stack does not exist";
    case "CommandError": {
      // The Automation API keeps the exit code on the error, out of its typings.
      const code = (error as { commandResult?: { code?: unknown } }).commandResult?.code;
      return `the Pulumi CLI exited${typeof code === "number" ? ` with code ${code}` : ""} before the engine reported an error; its output above says why`;
    }
    default:
      return error.message.trim().split("\n", 1)[0] ?? error.name;
  }
}
