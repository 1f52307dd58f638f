// Provisioning the pinned Pulumi CLI, trying in order: a `pulumi` on PATH, the one provisioned
// earlier in the cache, the official release (where the internet is reachable), and a build from
// the Go module proxy (where `go` is). One provisioning at a time per cache, under a lock.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import * as lockfile from "proper-lockfile";
import { buildFromGoProxy, minutes, type Log } from "./goBuild";
import { installationRoot, installNodejsResourcePlugin, writeProvenance, type LanguageHost, type Provenance } from "./installation";
import { cachedPulumi, pulumiOnPath, type PulumiCli } from "./locate";
import { installOfficialRelease } from "./release";
import { PULUMI_CLI_VERSION } from "./version";

/** Nothing worked; `tried` names each way and why it failed, in order. */
export class CliProvisioningError extends Error {
  constructor(readonly tried: readonly string[]) {
    super(
      `Could not provision the Pulumi CLI v${PULUMI_CLI_VERSION}. Tried, in order:\n${tried.map((line, i) => `  ${i + 1}. ${line}`).join("\n")}\n` +
        "Fix one of them: install the CLI (https://www.pulumi.com/docs/install/) and put it on PATH, or install Go 1.26 or later " +
        "with access to a Go module proxy (GOPROXY), then run `npm run pulumi-cli` again.",
    );
    this.name = "CliProvisioningError";
  }
}

/** One way to put the CLI into an empty installation root. */
export interface Provisioner {
  readonly name: string;
  readonly source: Provenance["source"];
  provision(root: string, log: Log, env: NodeJS.ProcessEnv): Promise<{ ok: true; languageHost: LanguageHost } | { ok: false; reason: string }>;
}

export const OFFICIAL_RELEASE: Provisioner = {
  name: "the official release",
  source: "release",
  async provision(root) {
    const reason = await installOfficialRelease(root);
    // A release bundles the language host of its own version.
    return reason === undefined ? { ok: true, languageHost: { kind: "matching" } } : { ok: false, reason };
  },
};

export const GO_BUILD: Provisioner = {
  name: "a build from the Go module proxy",
  source: "go-build",
  provision: buildFromGoProxy,
};

export interface ProvisionOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress, one line at a time (stderr for `npm run pulumi-cli`, the narration for the demo). */
  readonly log?: Log;
  /** Tried in order once PATH and the cache have nothing; the default is {@link provisionersFor}. */
  readonly provisioners?: readonly Provisioner[];
}

/**
 * IMMUTA_LAKEBASE_CLI_SOURCES, a comma-separated list of `release` and `go-build`, limits and orders
 * the ways to provision (e.g. `go-build` to never download, `release` to never compile); unset, both.
 */
export const SOURCES_VARIABLE = "IMMUTA_LAKEBASE_CLI_SOURCES";

export function provisionersFor(env: NodeJS.ProcessEnv): Provisioner[] {
  const all = [OFFICIAL_RELEASE, GO_BUILD];
  const named = env[SOURCES_VARIABLE]?.split(",").map((source) => source.trim()).filter(Boolean);
  if (named === undefined || named.length === 0) return all;
  const unknown = named.filter((source) => !all.some((provisioner) => provisioner.source === source));
  if (unknown.length > 0) throw new CliProvisioningError([`${SOURCES_VARIABLE}: ${unknown.join(", ")} is not one of release, go-build`]);
  return named.map((source) => all.find((provisioner) => provisioner.source === source) as Provisioner);
}

/** How long a lock may go unrefreshed before its holder is taken for dead (proper-lockfile refreshes it every STALE/2). */
const LOCK_STALE_MS = 30_000;
const LOCK_POLL_MS = 2_000;
const WAIT_REPORT_EVERY_MS = 60_000;

export async function provisionPulumiCli(options: ProvisionOptions = {}): Promise<PulumiCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const tried: string[] = [];

  const onPath = await pulumiOnPath(env);
  if (onPath.found) return onPath.cli;
  tried.push(`a pulumi on PATH: ${onPath.reason}`);

  const root = installationRoot(env);
  const release = await holdingLock(root, log);
  try {
    // Another run may have provisioned it while this one waited for the lock.
    const cached = await cachedPulumi(root);
    if (cached.found) {
      await installNodejsResourcePlugin(root);
      return cached.cli;
    }
    tried.push(`the cache: ${cached.reason}`);
    for (const provisioner of options.provisioners ?? provisionersFor(env)) {
      await fs.rm(root, { recursive: true, force: true });
      await fs.mkdir(root, { recursive: true });
      const started = Date.now();
      const outcome = await provisioner.provision(root, log, env);
      if (!outcome.ok) {
        log(`${provisioner.name}: ${outcome.reason}`);
        tried.push(`${provisioner.name}: ${outcome.reason}`);
        continue;
      }
      await installNodejsResourcePlugin(root);
      await writeProvenance(root, {
        version: PULUMI_CLI_VERSION,
        source: provisioner.source,
        languageHost: outcome.languageHost,
        provisionedAt: new Date().toISOString(),
        durationMs: Date.now() - started,
      });
      const provisioned = await cachedPulumi(root);
      if (provisioned.found) return provisioned.cli;
      tried.push(`${provisioner.name}: it finished, but ${provisioned.reason}`);
    }
    throw new CliProvisioningError(tried);
  } finally {
    await release();
  }
}

/** Waits for the cache's lock; says once that it waits, then once a minute. */
async function holdingLock(root: string, log: Log): Promise<() => Promise<void>> {
  await fs.mkdir(path.dirname(root), { recursive: true });
  const lockPath = `${root}.lock`;
  const waitingSince = Date.now();
  let lastSaid: number | undefined;
  for (;;) {
    try {
      return await lockfile.lock(root, { realpath: false, lockfilePath: lockPath, stale: LOCK_STALE_MS });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    }
    if (lastSaid === undefined) {
      log(`another run is provisioning the Pulumi CLI (it holds ${lockPath}); waiting for it to finish`);
      lastSaid = Date.now();
    } else if (Date.now() - lastSaid >= WAIT_REPORT_EVERY_MS) {
      log(`  … still waiting, ${minutes(Date.now() - waitingSince)} so far`);
      lastSaid = Date.now();
    }
    await delay(LOCK_POLL_MS);
  }
}
