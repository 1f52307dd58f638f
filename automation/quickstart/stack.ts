// A throwaway stack of the quickstart, configured to talk to an emulator, with its state, Pulumi
// home and workspace in a temporary folder. Shared by the demo and the end-to-end tests.
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type ConfigMap, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import execa from "execa";
import type { EmulatorInfo } from "../../emulator";
import type { PulumiCli } from "../cli/locate";
import { quickstartProgram } from "./program";
import { QUICKSTART_PROJECT } from "./settings";

/**
 * The repository root, which holds Pulumi.yaml and node_modules. Every operation's dynamic-provider
 * host starts here (the project's `main` folder), where `pulumi-immuta-lakebase/provider` and
 * `@pulumi/pulumi` resolve, through the package's own `exports`, to this checkout.
 */
export const PROJECT_DIR = path.dirname(require.resolve("pulumi-immuta-lakebase/package.json"));

/**
 * `inline`: the program runs in this process and the CLI talks to it with `--client`, so no language
 * host is needed. `program-directory`: the CLI runs Pulumi.yaml at the repository root through its
 * Node.js language host, as `pulumi up` there does.
 */
export type ProgramKind = "inline" | "program-directory";

export interface QuickstartStack {
  readonly stack: Stack;
  readonly name: string;
  readonly program: ProgramKind;
  /** Plain-text credentials in play (the emulator's, the passphrase), to keep out of anything printed. */
  readonly secrets: readonly string[];
  /** Holds the state backend (`state/`), PULUMI_HOME (`home/`) and, inline, the workspace; removed by dispose(). */
  readonly tempDir: string;
  readonly stateDir: string;
  /** What every CLI command of the stack runs with besides this process's environment: backend, passphrase, Pulumi home. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * What `pulumi stack export` prints: the state with its secrets encrypted. (Stack.exportStack()
   * passes --show-secrets, so it shows them in plain text.)
   */
  exportState(): Promise<unknown>;
  /**
   * Removes the temporary folder and, for a program directory, the Pulumi.<stack>.yaml that the
   * workspace wrote next to Pulumi.yaml. Never throws; returns what could not be removed.
   */
  dispose(): Promise<string[]>;
}

export interface QuickstartStackOptions {
  readonly emulator: EmulatorInfo;
  readonly cli: PulumiCli;
  /** The stack is named `<prefix>-<random>`, and so is its temporary folder. */
  readonly prefix: string;
  readonly program: ProgramKind;
  /** What an inline stack runs instead of the quickstart (e.g. the fixture recorder's odd names). */
  readonly inlineProgram?: PulumiFn;
  /** Added to every CLI command's environment (e.g. PULUMI_DEBUG_GRPC). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The quickstart's stack config for an emulator; secrets are marked so Pulumi stores them encrypted. */
function quickstartConfig(emulator: EmulatorInfo): ConfigMap {
  return {
    "immuta:url": { value: emulator.immutaUrl },
    "immuta:apiKey": { value: emulator.apiKey, secret: true },
    lakebaseHostname: { value: emulator.lakebase.hostname },
    lakebasePort: { value: String(emulator.lakebase.port) },
    lakebaseDatabase: { value: emulator.lakebase.database },
    workspaceUrl: { value: emulator.workspaceUrl },
    clientId: { value: emulator.clientId },
    clientSecret: { value: emulator.clientSecret, secret: true },
  };
}

export async function createQuickstartStack(options: QuickstartStackOptions): Promise<QuickstartStack> {
  const name = `${options.prefix}-${crypto.randomBytes(4).toString("hex")}`;
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), `${options.prefix}-`));
  const passphrase = crypto.randomBytes(24).toString("hex");
  const stateDir = path.join(tempDir, "state");
  const leftovers = options.program === "program-directory" ? [path.join(PROJECT_DIR, `Pulumi.${name}.yaml`), tempDir] : [tempDir];
  const dispose = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const leftover of leftovers) {
      await fs.rm(leftover, { recursive: true, force: true }).catch((error: unknown) => problems.push(`removing ${leftover}: ${firstLine(error)}`));
    }
    return problems;
  };
  try {
    const pulumiHome = path.join(tempDir, "home");
    await Promise.all([fs.mkdir(stateDir), fs.mkdir(pulumiHome)]);
    const workspace = {
      pulumiCommand: options.cli.command,
      envVars: {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_HOME: pulumiHome,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Everything a run needs is next to the CLI; offline, a plugin download could only fail slowly.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // `npm run build` has type-checked the program already; ts-node only needs to transpile it.
        ...(options.program === "program-directory" ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {}),
        ...options.env,
      },
    };
    const stack =
      options.program === "inline"
        ? await LocalWorkspace.createOrSelectStack(
            { projectName: QUICKSTART_PROJECT, stackName: name, program: options.inlineProgram ?? (async () => quickstartProgram()) },
            {
              ...workspace,
              // The workspace (Pulumi.yaml, stack config) lives in the temporary folder; `main` sends the
              // dynamic-provider host to the repository root all the same.
              workDir: await makeDir(path.join(tempDir, "workspace")),
              projectSettings: { name: QUICKSTART_PROJECT, runtime: "nodejs", main: PROJECT_DIR },
            },
          )
        : await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: PROJECT_DIR }, workspace);
    await stack.setAllConfig(quickstartConfig(options.emulator));
    const exportState = async (): Promise<unknown> => {
      const { stdout } = await execa(path.join(options.cli.binDir, "pulumi"), ["stack", "export", "--stack", name, "--non-interactive"], {
        cwd: stack.workspace.workDir,
        env: { ...process.env, ...workspace.envVars },
      });
      return JSON.parse(stdout) as unknown;
    };
    return {
      stack,
      name,
      program: options.program,
      secrets: [options.emulator.apiKey, options.emulator.clientSecret, passphrase],
      tempDir,
      stateDir,
      env: workspace.envVars,
      exportState,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function makeDir(dir: string): Promise<string> {
  await fs.mkdir(dir);
  return dir;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().split("\n", 1)[0] ?? "";
}
