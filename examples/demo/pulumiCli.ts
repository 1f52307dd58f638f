// Finding the Pulumi CLI, which the Automation API drives (it does not replace it).
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { INSTALL_URL } from "../gitops/runner";

export type PulumiCli = { readonly found: true; readonly command: PulumiCommand } | { readonly found: false; readonly reason: string };

/** The `pulumi` binary on PATH, or why there is none usable (missing, or older than the Automation API accepts). */
export async function findPulumiCli(): Promise<PulumiCli> {
  try {
    return { found: true, command: await PulumiCommand.get() };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const reason = /ENOENT/.test(text) ? "no `pulumi` binary is on PATH" : `\`pulumi version\` failed (${text.trim().split("\n", 1)[0]})`;
    return { found: false, reason };
  }
}

/** The one paragraph the demo prints when it cannot run. */
export function missingCliParagraph(reason: string): string {
  return (
    `The demo needs the Pulumi CLI, but ${reason}, so it stops here without starting anything. ` +
    "It runs the quickstart program through the Pulumi Automation API, which drives the CLI rather than replacing it. " +
    `Install the CLI as described at ${INSTALL_URL} (for example \`curl -fsSL https://get.pulumi.com | sh\`, ` +
    "then add ~/.pulumi/bin to PATH) and run `npm run demo` again. " +
    "Without the CLI, `npm test` still covers the provider end to end: it drives the real dynamic-provider host " +
    "over gRPC against the emulator, as the Pulumi engine would.\n"
  );
}
