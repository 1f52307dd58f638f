// Finding a Pulumi CLI that is already there, without provisioning one: a `pulumi` on PATH, then the
// one `npm run pulumi-cli` provisioned in the cache. The end-to-end tests and the GitOps runner use
// this; the demo and `npm run pulumi-cli` provision when it finds nothing.
import * as path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import { binDir, installationRoot, isExecutable, NODEJS_LANGUAGE_HOST, readProvenance, type CliSource, type LanguageHost } from "./installation";
import { PULUMI_CLI_VERSION } from "./version";

/**
 * Inline programs' refresh and destroy need 3.181 or later (the Automation API's checkInlineSupport);
 * an older `pulumi` on PATH is passed over rather than failing halfway through a run.
 */
const OLDEST_ACCEPTED_VERSION = "3.181.0";

export interface PulumiCli {
  /** What the Automation API runs. */
  readonly command: PulumiCommand;
  /** The folder holding `pulumi`: what `npm run pulumi-cli` prints, and what to put on PATH. */
  readonly binDir: string;
  readonly version: string;
  readonly source: CliSource;
  readonly languageHost: LanguageHost;
}

/** A CLI, or why this place holds none that is usable. */
export type Lookup = { readonly found: true; readonly cli: PulumiCli } | { readonly found: false; readonly reason: string };

export type CliSearch = { readonly found: true; readonly cli: PulumiCli } | { readonly found: false; readonly tried: readonly string[] };

/** PATH first, then the cache; `tried` says, for each, why it had nothing. */
export async function locatePulumiCli(env: NodeJS.ProcessEnv = process.env): Promise<CliSearch> {
  const onPath = await pulumiOnPath(env);
  if (onPath.found) return onPath;
  const cached = await cachedPulumi(installationRoot(env));
  if (cached.found) return cached;
  return { found: false, tried: [`PATH: ${onPath.reason}`, `cache: ${cached.reason}`] };
}

/** The first `pulumi` on PATH, if the Automation API accepts it. */
export async function pulumiOnPath(env: NodeJS.ProcessEnv = process.env): Promise<Lookup> {
  const dir = await firstPathDirHolding("pulumi", env.PATH ?? "");
  if (dir === undefined) return { found: false, reason: "no `pulumi` binary is on PATH" };
  // PulumiCommand.get({ root }) runs <root>/bin/pulumi and puts <root>/bin first on the PATH of every
  // command, so the plugins next to the binary are the ones the engine finds.
  const command = await accepted(path.basename(dir) === "bin" ? { root: path.dirname(dir) } : {}, OLDEST_ACCEPTED_VERSION);
  if (typeof command === "string") return { found: false, reason: `${path.join(dir, "pulumi")} is not usable (${command})` };
  const provenance = await readProvenance(path.dirname(dir));
  return {
    found: true,
    cli: {
      command,
      binDir: dir,
      version: command.version?.toString() ?? "unknown",
      source: provenance?.source ?? "path",
      languageHost: provenance?.languageHost ?? (await bundledLanguageHost(dir)),
    },
  };
}

/** The CLI provisioned under `root`, if it is there, runs, and is the pinned version. */
export async function cachedPulumi(root: string): Promise<Lookup> {
  const dir = binDir(root);
  if (!(await isExecutable(path.join(dir, "pulumi")))) return { found: false, reason: `nothing provisioned yet in ${root}` };
  const command = await accepted({ root }, PULUMI_CLI_VERSION);
  if (typeof command === "string") return { found: false, reason: `${path.join(dir, "pulumi")} is not usable (${command})` };
  const version = command.version?.toString();
  if (version !== PULUMI_CLI_VERSION) return { found: false, reason: `${path.join(dir, "pulumi")} is v${version}, not the pinned v${PULUMI_CLI_VERSION}` };
  const provenance = await readProvenance(root);
  return {
    found: true,
    cli: {
      command,
      binDir: dir,
      version,
      source: provenance?.source ?? "go-build",
      languageHost: provenance?.languageHost ?? (await bundledLanguageHost(dir)),
    },
  };
}

/** The command, or why the Automation API refused it (the first line of its complaint). */
async function accepted(where: { root?: string }, oldest: string): Promise<PulumiCommand | string> {
  try {
    return await PulumiCommand.get({ ...where, version: new SemVer(oldest) });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return text.trim().split("\n", 1)[0] ?? "no reason given";
  }
}

/** Without a provenance file, a language host beside the CLI came with it (an official release). */
async function bundledLanguageHost(dir: string): Promise<LanguageHost> {
  return (await isExecutable(path.join(dir, NODEJS_LANGUAGE_HOST)))
    ? { kind: "matching" }
    : { kind: "none", reason: `no ${NODEJS_LANGUAGE_HOST} next to ${path.join(dir, "pulumi")}` };
}

async function firstPathDirHolding(binary: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter((entry) => entry !== "")) {
    if (await isExecutable(path.join(dir, binary))) return path.resolve(dir);
  }
  return undefined;
}
