import type { PulumiCli } from "./locate";

const SOURCES = { path: "found on PATH", release: "the official release", "go-build": "built from the Go module proxy" } as const;

/** One line for a person: which CLI, from where, and what it can run. */
export function describeCli(cli: PulumiCli): string {
  const host = cli.languageHost;
  const languageHost =
    host.kind === "matching"
      ? "with its Node.js language host"
      : host.kind === "compatibility"
        ? `with the compatibility Node.js language host v${host.version}`
        : "without a Node.js language host (inline programs only)";
  return `Pulumi CLI v${cli.version} in ${cli.binDir} (${SOURCES[cli.source]}), ${languageHost}`;
}
