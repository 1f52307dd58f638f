// Where a provisioned Pulumi CLI lives and what is known about it: a folder outside the repository,
// one per pinned version, laid out as an official release is (`<root>/bin/pulumi` and its plugins),
// so that PulumiCommand.get({ root }) and PulumiCommand.install({ root }) both work on it.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { PULUMI_CLI_VERSION } from "./version";

/** How the CLI in a folder came to be there. */
export type CliSource = "path" | "release" | "go-build";

/**
 * The Node.js language host next to the CLI: `matching` is the CLI's own version (an official
 * release ships one), `compatibility` the older host built from a tagged module, `none` absent.
 * Inline Automation API programs need none; a program directory (`pulumi up` next to Pulumi.yaml) needs one.
 */
export type LanguageHost =
  | { readonly kind: "matching" }
  | { readonly kind: "compatibility"; readonly version: string; readonly reason: string }
  | { readonly kind: "none"; readonly reason: string };

const provenanceSchema = z.object({
  version: z.string(),
  source: z.enum(["release", "go-build"]),
  languageHost: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("matching") }),
    z.object({ kind: z.literal("compatibility"), version: z.string(), reason: z.string() }),
    z.object({ kind: z.literal("none"), reason: z.string() }),
  ]),
  provisionedAt: z.string(),
  durationMs: z.number(),
});

/** What `provenance.json` in an installation root records about how it was provisioned. */
export type Provenance = z.infer<typeof provenanceSchema>;

/** `${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-immuta-lakebase/pulumi-v<version>`: outside every checkout, shared by all of them. */
export function installationRoot(env: NodeJS.ProcessEnv = process.env, version = PULUMI_CLI_VERSION): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
  return path.join(cacheHome, "pulumi-immuta-lakebase", `pulumi-v${version}`);
}

export function binDir(root: string): string {
  return path.join(root, "bin");
}

const PROVENANCE_FILE = "provenance.json";

export async function readProvenance(root: string): Promise<Provenance | undefined> {
  const text = await fs.readFile(path.join(root, PROVENANCE_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  // A file cut short by a crash reads as unknown provenance, not as a failure.
  const parsed = provenanceSchema.safeParse(parseJson(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writeProvenance(root: string, provenance: Provenance): Promise<void> {
  await fs.writeFile(path.join(root, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
}

/** True when `file` exists and may be executed. */
export async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fs.constants.X_OK).then(
    () => true,
    () => false,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Puts the dynamic-provider plugin that @pulumi/pulumi ships (a shell script that starts its
 * dynamic-provider host) next to the CLI, where the engine looks for bundled plugins.
 */
export async function installNodejsResourcePlugin(root: string): Promise<void> {
  const source = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json")), NODEJS_RESOURCE_PLUGIN);
  const target = path.join(binDir(root), NODEJS_RESOURCE_PLUGIN);
  const [wanted, present] = await Promise.all([fs.readFile(source), fs.readFile(target).catch(() => undefined)]);
  if (present !== undefined && wanted.equals(present) && (await isExecutable(target))) return;
  await fs.mkdir(binDir(root), { recursive: true });
  await fs.copyFile(source, target);
  await fs.chmod(target, 0o755);
}

export const NODEJS_RESOURCE_PLUGIN = "pulumi-resource-pulumi-nodejs";
export const NODEJS_LANGUAGE_HOST = "pulumi-language-nodejs";
