// The lines the provider prints. A dynamic provider has no engine log of its own: the host passes
// its stdout and stderr on to the CLI, which shows them among the stack's diagnostics.

/** What starts each line the provider prints, so that the CLI's diagnostics and the GitOps summary can tell them apart. */
export const LINE_PREFIX = "[pulumi-immuta-lakebase]";

/** A line of progress, or of what a preview can only say in words. */
export function progress(message: string): void {
  console.log(`${LINE_PREFIX} ${message}`);
}

/** The CLI shows stderr and stdout alike, so a warning is a line that says it is one. */
export function warningLine(message: string): void {
  console.error(`${LINE_PREFIX} warning: ${message}`);
}
