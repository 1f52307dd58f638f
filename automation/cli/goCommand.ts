// Running the `go` command for a build: its environment, its stderr read line by line as progress,
// and a failure that names the command and ends with what Go said.
import execa from "execa";

/** Lines of Go's stderr kept for a failure message: enough for the error, not a whole log. */
const TAIL_LINES = 15;

export class GoCommandError extends Error {
  constructor(
    readonly commandLine: string,
    readonly exitCode: number | undefined,
    readonly tail: string,
  ) {
    super(`\`${commandLine}\` failed${exitCode === undefined ? "" : ` with exit code ${exitCode}`}:\n${tail}`);
    this.name = "GoCommandError";
  }

  /** Go's last line, usually the one that says what was refused. */
  get lastLine(): string {
    return this.tail.trim().split("\n").pop() ?? "";
  }
}

export interface GoRun {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Called with each line Go writes to stderr (downloads, `-v` package names, errors). */
  readonly onLine?: (line: string) => void;
}

/**
 * The environment of every Go command here. CGO_ENABLED=0 as Pulumi's own release build does (the
 * CLI has no cgo); GOWORK=off so a go.work around the temporary folder cannot take over; -mod=mod so
 * `go build` may complete go.sum in the throwaway wrapper module.
 */
export function goEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const flags = [env.GOFLAGS, "-mod=mod"].filter((flag) => flag !== undefined && flag !== "").join(" ");
  return { ...env, CGO_ENABLED: "0", GOWORK: "off", GOFLAGS: flags };
}

export async function runGo(args: readonly string[], run: GoRun): Promise<string> {
  const commandLine = `go ${args.join(" ")}`;
  const child = execa("go", [...args], { cwd: run.cwd, env: goEnvironment(run.env), extendEnv: false, reject: false, all: false });
  const tail: string[] = [];
  let pending = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      run.onLine?.(line);
    }
  });
  const result = await child;
  if (pending !== "") tail.push(pending);
  if (result.failed) {
    // Without an exit code Go never ran (no `go` on PATH, say); execa's message says why.
    const reason = result.exitCode === undefined ? `${(result as { shortMessage?: string }).shortMessage ?? "go did not start"}\n` : "";
    throw new GoCommandError(commandLine, result.exitCode, `${reason}${tail.join("\n")}`.trim());
  }
  return result.stdout;
}

/** `go version`'s answer, or undefined when there is no usable `go`. */
export async function goVersion(cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return runGo(["version"], { cwd, env }).then(
    (out) => out.trim(),
    () => undefined,
  );
}
