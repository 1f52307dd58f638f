// Building the Pulumi CLI from the Go module proxy, as Pulumi's release build does, in throwaway
// wrapper modules: the main package, the version stamp and the language host as Pulumi's own
// release build (.goreleaser.yml) and its go.mod files have them.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { GoCommandError, goVersion, runGo } from "./goCommand";
import { binDir, NODEJS_LANGUAGE_HOST, type LanguageHost } from "./installation";
import { COMPATIBILITY_LANGUAGE_HOST_VERSION, PULUMI_CLI_VERSION } from "./version";

const CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi";
const PKG_MODULE = "github.com/pulumi/pulumi/pkg/v3";
const LANGUAGE_HOST_MODULE = "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3";
/** Where the language host lived while it was part of sdk/v3 (up to v3.68.0). */
const LEGACY_LANGUAGE_HOST_PACKAGE = "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs";

/** How often a long build says how far it got. */
const PROGRESS_EVERY_MS = 30_000;

export type Log = (line: string) => void;

/** `go <args>` in a folder, with this run's environment. */
type Go = (args: readonly string[], cwd: string, onLine?: (line: string) => void) => Promise<string>;

/**
 * Without the version stamp `pulumi version` prints an empty line and the Automation API refuses the
 * binary; -s -w and -trimpath are the release build's own flags.
 */
function ldflags(version: string): string {
  return `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
}

/**
 * Builds `pulumi` (and a Node.js language host where one can be had) into `<root>/bin`; resolves
 * to why it could not, or to the language host it built.
 */
export async function buildFromGoProxy(root: string, log: Log, env: NodeJS.ProcessEnv): Promise<{ ok: true; languageHost: LanguageHost } | { ok: false; reason: string }> {
  const go: Go = (args, cwd, onLine) => runGo(args, { cwd, env, onLine });
  const version = await goVersion(root, env);
  if (version === undefined) return { ok: false, reason: "no usable `go` on PATH" };
  log(
    `building the Pulumi CLI v${PULUMI_CLI_VERSION} from the Go module proxy with ${version}, into ${root}. ` +
      "A first build downloads about 1.8 GB of modules and takes about 5 minutes on 2 cores; " +
      "later runs reuse Go's caches.",
  );
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "pulumi-cli-build-"));
  try {
    const wrapper = await wrapperModule(go, scratch, "cli");
    log(`resolving ${CLI_PACKAGE}@v${PULUMI_CLI_VERSION} and its ~300 modules through the Go module proxy`);
    await go(["get", "-tool", `${CLI_PACKAGE}@v${PULUMI_CLI_VERSION}`], wrapper, downloadProgress(log));
    await compile(go, wrapper, CLI_PACKAGE, PULUMI_CLI_VERSION, path.join(binDir(root), "pulumi"), log);
    return { ok: true, languageHost: await buildLanguageHost(go, scratch, wrapper, root, log) };
  } catch (error) {
    return { ok: false, reason: describe(error) };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The host matching the CLI is an untagged module, so only a pseudo-version at the commit of the
 * pkg/v<version> tag names it; failing that, the compatibility host from the last sdk/v3 tag that held it.
 */
async function buildLanguageHost(go: Go, scratch: string, cliWrapper: string, root: string, log: Log): Promise<LanguageHost> {
  const target = path.join(binDir(root), NODEJS_LANGUAGE_HOST);
  const matching = await matchingLanguageHost(go, cliWrapper);
  if (matching.ok) {
    await compile(go, cliWrapper, LANGUAGE_HOST_MODULE, PULUMI_CLI_VERSION, target, log);
    return { kind: "matching" };
  }
  log(`the Node.js language host matching v${PULUMI_CLI_VERSION} cannot be had: ${matching.reason}`);
  log(`building the compatibility language host v${COMPATIBILITY_LANGUAGE_HOST_VERSION} instead (the last release that tagged it)`);
  try {
    const wrapper = await wrapperModule(go, scratch, "language-host");
    await go(["get", `${LEGACY_LANGUAGE_HOST_PACKAGE}@v${COMPATIBILITY_LANGUAGE_HOST_VERSION}`], wrapper, downloadProgress(log));
    await compile(go, wrapper, LEGACY_LANGUAGE_HOST_PACKAGE, COMPATIBILITY_LANGUAGE_HOST_VERSION, target, log);
    return { kind: "compatibility", version: COMPATIBILITY_LANGUAGE_HOST_VERSION, reason: matching.reason };
  } catch (error) {
    const reason = `${matching.reason}; the compatibility host v${COMPATIBILITY_LANGUAGE_HOST_VERSION} failed too: ${describe(error)}`;
    log(`no Node.js language host: ${reason}. Inline Automation API programs need none; \`pulumi up\` in a program folder does.`);
    return { kind: "none", reason };
  }
}

const moduleInfo = z.object({ Origin: z.object({ Hash: z.string().regex(/^[0-9a-f]{40}$/) }).optional() });

async function matchingLanguageHost(go: Go, wrapper: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  let commit: string | undefined;
  try {
    const info = moduleInfo.safeParse(JSON.parse(await go(["mod", "download", "-json", `${PKG_MODULE}@v${PULUMI_CLI_VERSION}`], wrapper)));
    commit = info.success ? info.data.Origin?.Hash : undefined;
  } catch (error) {
    return { ok: false, reason: `asking the Go module proxy for the commit of ${PKG_MODULE}@v${PULUMI_CLI_VERSION} failed (${describe(error)})` };
  }
  if (commit === undefined) {
    return { ok: false, reason: `the Go module proxy records no commit for ${PKG_MODULE}@v${PULUMI_CLI_VERSION} (no Origin in its answer), and ${LANGUAGE_HOST_MODULE} has no tag to ask for instead` };
  }
  try {
    await go(["get", "-tool", `${LANGUAGE_HOST_MODULE}@${commit}`], wrapper);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `the Go module proxy refused ${LANGUAGE_HOST_MODULE}@${commit} (${describe(error)})` };
  }
}

async function wrapperModule(go: Go, scratch: string, name: string): Promise<string> {
  const dir = path.join(scratch, name);
  await fs.mkdir(dir);
  await go(["mod", "init", `local/${name}-wrapper`], dir);
  return dir;
}

/** `go build` into a temporary name, renamed when complete, so a killed build leaves no half-written binary. */
async function compile(go: Go, wrapper: string, pkg: string, version: string, target: string, log: Log): Promise<void> {
  const total = (await go(["list", "-deps", pkg], wrapper)).split("\n").filter(Boolean).length;
  const partial = `${target}.partial-${process.pid}`;
  await fs.mkdir(path.dirname(target), { recursive: true });
  log(`compiling ${pkg} (${total} packages; what Go compiled before comes from its build cache)`);
  const started = Date.now();
  let compiled = 0;
  const ticker = setInterval(() => {
    log(`  … ${compiled} of at most ${total} packages compiled, ${minutes(Date.now() - started)} so far`);
  }, PROGRESS_EVERY_MS);
  try {
    await go(["build", "-v", "-trimpath", "-ldflags", ldflags(version), "-o", partial, pkg], wrapper, () => (compiled += 1));
    await fs.rename(partial, target);
  } finally {
    clearInterval(ticker);
    await fs.rm(partial, { force: true });
  }
  log(`  built ${path.basename(target)} v${version} in ${minutes(Date.now() - started)}`);
}

function downloadProgress(log: Log): (line: string) => void {
  let downloads = 0;
  let lastReport = Date.now();
  return (line) => {
    if (!line.startsWith("go: downloading")) return;
    downloads += 1;
    if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = Date.now();
      log(`  … ${downloads} modules downloaded`);
    }
  };
}

export function minutes(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function describe(error: unknown): string {
  if (error instanceof GoCommandError) return `\`${error.commandLine}\`: ${error.lastLine}`;
  return error instanceof Error ? error.message : String(error);
}
