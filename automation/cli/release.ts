// The official release, where the machine reaches get.pulumi.com: the Automation API's own installer.
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import { PULUMI_CLI_VERSION } from "./version";

const RELEASE_HOST = "https://get.pulumi.com/";
/** A closed network answers at once; a filtered one may never answer, and the installer would wait two minutes. */
const PROBE_TIMEOUT_MS = 10_000;

/** Installs the release tarball (CLI and its bundled plugins) into `root`; resolves to why not, or undefined when done. */
export async function installOfficialRelease(root: string): Promise<string | undefined> {
  try {
    await fetch(RELEASE_HOST, { method: "HEAD", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    return `${RELEASE_HOST} cannot be reached (${reasonOf(error)})`;
  }
  try {
    await PulumiCommand.install({ version: new SemVer(PULUMI_CLI_VERSION), root });
    return undefined;
  } catch (error) {
    return `PulumiCommand.install failed (${reasonOf(error).trim().split("\n", 1)[0]})`;
  }
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the network error ("fetch failed"); its cause says what happened (ENOTFOUND, ECONNREFUSED, a timeout).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
