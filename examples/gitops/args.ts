// The runner's command line, parsed and validated without touching the disk or the Pulumi CLI.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";

export type RunnerCommand = "preview" | "up";

export interface RunnerArgs {
  readonly command: RunnerCommand;
  readonly stackName: string;
  /** Absolute path of the Pulumi project (the folder holding Pulumi.yaml). */
  readonly workDir: string;
  /** Absolute path the Markdown summary is written to; always set for `preview`, only on request for `up`. */
  readonly summaryPath: string | null;
}

export type ParsedRunnerArgs =
  | { readonly kind: "run"; readonly args: RunnerArgs }
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly problems: readonly string[] };

export const DEFAULT_PREVIEW_SUMMARY = "pulumi-preview.md";

export const USAGE = `Usage: node dist/examples/gitops/runner.js <preview|up> --stack <name> [--work-dir <dir>] [--summary <file.md>]

  preview             show what would change; writes a Markdown summary for the pull request
  up                  apply the changes non-interactively; exits non-zero on any failure
  --stack <name>      stack to select, created if missing (name, org/name or org/project/name)
  --work-dir <dir>    folder holding Pulumi.yaml (default: the current directory)
  --summary <file>    where to write the Markdown summary (preview default: ${DEFAULT_PREVIEW_SUMMARY}; up: none)
  -h, --help          print this help

When GITHUB_STEP_SUMMARY is set, the summary is appended to it as well.
Exit codes: 0 success, 1 the Pulumi operation failed, 2 the Pulumi CLI is missing, 64 invalid arguments.
`;

// Pulumi's own rule for stack names, with the optional organisation and project qualifiers.
const STACK_NAME = /^(?:[A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;

const runnerArgsSchema = z.object({
  command: z.enum(["preview", "up"], { error: "the first argument must be the command: preview or up" }),
  stack: z
    .string({ error: "--stack is required: name the stack to preview or update, e.g. --stack dev" })
    .regex(STACK_NAME, { error: "--stack must be a stack name of letters, digits, '_', '.', '-', optionally prefixed by org/ or org/project/" }),
  workDir: z.string().min(1, { error: "--work-dir must not be empty" }),
  summary: z.string().min(1, { error: "--summary must not be empty" }).optional(),
  extra: z.array(z.string()).max(0, { error: "only one command is allowed: preview or up" }),
});

export function parseRunnerArgs(argv: readonly string[], cwd: string): ParsedRunnerArgs {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    // parseArgs names the offending option itself, e.g. "Unknown option '--stak'".
    return { kind: "invalid", problems: [error instanceof Error ? error.message : String(error)] };
  }
  if (parsed.values.help === true) {
    return { kind: "help" };
  }
  const [command, ...extra] = parsed.positionals;
  const result = runnerArgsSchema.safeParse({
    command,
    stack: parsed.values.stack,
    workDir: parsed.values["work-dir"] ?? cwd,
    summary: parsed.values.summary,
    extra,
  });
  if (!result.success) {
    return { kind: "invalid", problems: result.error.issues.map((issue) => issue.message) };
  }
  const { data } = result;
  const summary = data.summary ?? (data.command === "preview" ? DEFAULT_PREVIEW_SUMMARY : undefined);
  return {
    kind: "run",
    args: {
      command: data.command,
      stackName: data.stack,
      workDir: path.resolve(cwd, data.workDir),
      summaryPath: summary === undefined ? null : path.resolve(cwd, summary),
    },
  };
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      stack: { type: "string" },
      "work-dir": { type: "string" },
      summary: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
