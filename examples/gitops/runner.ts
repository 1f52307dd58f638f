// CI entry point: `pulumi preview` on pull requests (with a Markdown summary for reviewers) and
// `pulumi up` on merge, through the Automation API. The command line is parsed in args.ts; the
// summary and the failure are read from the engine's events by ../../automation; this file only
// drives the CLI and writes files.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { LocalWorkspace, type EngineEvent, type PreviewOptions } from "@pulumi/pulumi/automation";
import { locatePulumiCli, type PulumiCli } from "../../automation/cli/locate";
import { describeFailure } from "../../automation/events/failure";
import { renderPreviewSummary } from "../../automation/summary/markdown";
import { plaintextSecrets } from "../../automation/summary/mask";
import { redact } from "../../provider/errors";
import { parseRunnerArgs, USAGE, type RunnerArgs } from "./args";

export const EXIT_CODES = { ok: 0, failed: 1, cliMissing: 2, usage: 64 } as const;

export const INSTALL_URL = "https://www.pulumi.com/docs/install/";

// Values that may sit in the job's environment and must never be echoed, whatever an error says.
const SECRET_ENV_VARS = ["IMMUTA_API_KEY", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"] as const;

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml", "Pulumi.json"] as const;

export function missingCliMessage(tried: readonly string[]): string {
  return (
    `gitops runner: the Pulumi CLI is required but none was found (${tried.join("; ")}). ` +
    "The Automation API drives the CLI; it does not replace it. " +
    `Install the CLI as described at ${INSTALL_URL} (in GitHub Actions, the pulumi/actions setup step) and put it on PATH, ` +
    "or, in a checkout of this repository, run `npm run pulumi-cli`; then run this command again.\n"
  );
}

function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  return SECRET_ENV_VARS.map((name) => env[name]).filter((value): value is string => typeof value === "string" && value.length > 0);
}

async function hasProjectFile(workDir: string): Promise<boolean> {
  const present = await Promise.all(
    PROJECT_FILES.map((file) =>
      fs.access(path.join(workDir, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.includes(true);
}

async function runOperation(args: RunnerArgs, cli: PulumiCli, events: EngineEvent[], envSecrets: readonly string[]): Promise<void> {
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: args.stackName, workDir: args.workDir }, { pulumiCommand: cli.command });
  // The CLI masks its own secrets; this also keeps the job's credentials out of the log should anything echo them.
  const options: PreviewOptions = {
    onEvent: (event) => events.push(event),
    onOutput: (out) => process.stdout.write(redact(out, envSecrets)),
    onError: (err) => process.stderr.write(redact(err, envSecrets)),
    suppressProgress: true,
    diff: true,
  };
  await (args.command === "preview" ? stack.preview(options) : stack.up(options));
}

async function publishSummary(args: RunnerArgs, markdown: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (args.summaryPath !== null) {
    await fs.writeFile(args.summaryPath, markdown, "utf8");
    process.stdout.write(`gitops runner: wrote the summary to ${args.summaryPath}\n`);
  }
  const stepSummary = env["GITHUB_STEP_SUMMARY"];
  if (stepSummary) {
    await fs.appendFile(stepSummary, `${markdown}\n`, "utf8");
  }
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseRunnerArgs(argv, process.cwd());
  if (parsed.kind === "help") {
    process.stdout.write(USAGE);
    return EXIT_CODES.ok;
  }
  if (parsed.kind === "invalid") {
    process.stderr.write(`${parsed.problems.map((problem) => `gitops runner: ${problem}`).join("\n")}\n\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  const { args } = parsed;
  const found = await locatePulumiCli(env);
  if (!found.found) {
    process.stderr.write(missingCliMessage(found.tried));
    return EXIT_CODES.cliMissing;
  }
  if (!(await hasProjectFile(args.workDir))) {
    process.stderr.write(
      `gitops runner: no Pulumi.yaml in ${args.workDir}, so there is no project to ${args.command}. ` +
        "Pass --work-dir with the folder that holds the project's Pulumi.yaml.\n",
    );
    return EXIT_CODES.usage;
  }

  const events: EngineEvent[] = [];
  const envSecrets = environmentSecrets(env);
  let failure: string | undefined;
  try {
    await runOperation(args, found.cli, events, envSecrets);
  } catch (error) {
    failure = describeFailure(events, error, [...plaintextSecrets(events), ...envSecrets]);
  }
  const markdown = renderPreviewSummary(events, {
    title: `Pulumi ${args.command}: stack ${args.stackName}`,
    knownSecrets: envSecrets,
    failure,
  });
  await publishSummary(args, markdown, env);
  if (failure !== undefined) {
    process.stderr.write(`gitops runner: pulumi ${args.command} failed for stack ${args.stackName}: ${failure}\n`);
    return EXIT_CODES.failed;
  }
  return EXIT_CODES.ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Only reached when writing the summary fails; the message names the file, never a secret.
      process.stderr.write(`gitops runner: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT_CODES.failed;
    },
  );
}
