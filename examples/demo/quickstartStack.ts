// A throwaway stack of the quickstart program (the root Pulumi.yaml), configured to talk to an
// emulator, with its state and Pulumi home in a temporary folder. Shared by the demo and the e2e tests.
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type ConfigMap, type PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import type { EmulatorInfo } from "../../emulator";

/**
 * The repository root, which holds Pulumi.yaml and node_modules. The stack runs there so that the
 * dynamic-provider host, whose working directory it is, finds this package's provider.
 */
export const PROJECT_DIR = path.dirname(require.resolve("pulumi-immuta-lakebase/package.json"));

export interface QuickstartStack {
  readonly stack: Stack;
  readonly name: string;
  /** Plain-text credentials in play (the emulator's, the passphrase), to keep out of anything printed. */
  readonly secrets: readonly string[];
  /** Where the state backend and PULUMI_HOME live; removed by dispose(). */
  readonly tempDir: string;
  /**
   * Removes the stack's Pulumi.<stack>.yaml from the project folder and the temporary folder, which
   * holds the stack's state. Never throws; returns what could not be removed.
   */
  dispose(): Promise<string[]>;
}

/** The quickstart's stack config for an emulator; secrets are marked so Pulumi stores them encrypted. */
export function quickstartConfig(emulator: EmulatorInfo): ConfigMap {
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

/** Creates `<prefix>-<random>`, a fresh stack of the quickstart with a file:// backend, configured for `emulator`. */
export async function createQuickstartStack(emulator: EmulatorInfo, pulumi: PulumiCommand, prefix: string): Promise<QuickstartStack> {
  const name = `${prefix}-${crypto.randomBytes(4).toString("hex")}`;
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  const passphrase = crypto.randomBytes(24).toString("hex");
  const dispose = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const leftover of [path.join(PROJECT_DIR, `Pulumi.${name}.yaml`), tempDir]) {
      await fs.rm(leftover, { recursive: true, force: true }).catch((error: unknown) => problems.push(`removing ${leftover}: ${firstLine(error)}`));
    }
    return problems;
  };
  try {
    const backendDir = path.join(tempDir, "state");
    const pulumiHome = path.join(tempDir, "home");
    await Promise.all([fs.mkdir(backendDir), fs.mkdir(pulumiHome)]);
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: name, workDir: PROJECT_DIR },
      {
        pulumiCommand: pulumi,
        envVars: {
          PULUMI_BACKEND_URL: `file://${backendDir}`,
          PULUMI_CONFIG_PASSPHRASE: passphrase,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_HOME: pulumiHome,
          // `npm run build` has type-checked the program already; ts-node only needs to transpile it.
          PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        },
      },
    );
    await stack.setAllConfig(quickstartConfig(emulator));
    return {
      stack,
      name,
      secrets: [emulator.apiKey, emulator.clientSecret, passphrase],
      tempDir,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().split("\n", 1)[0] ?? "";
}
