import { strict as assert } from "node:assert";
import * as path from "node:path";
import { DEFAULT_PREVIEW_SUMMARY, parseRunnerArgs, type ParsedRunnerArgs, type RunnerArgs } from "../../examples/gitops/args";
import { INSTALL_URL, missingCliMessage } from "../../examples/gitops/runner";

describe("gitops runner arguments", () => {
  const cwd = path.resolve("/srv/checkout");

  function expectRun(parsed: ParsedRunnerArgs): RunnerArgs {
    assert.equal(parsed.kind, "run", JSON.stringify(parsed));
    return (parsed as Extract<ParsedRunnerArgs, { kind: "run" }>).args;
  }

  function expectProblems(parsed: ParsedRunnerArgs): readonly string[] {
    assert.equal(parsed.kind, "invalid", JSON.stringify(parsed));
    return (parsed as Extract<ParsedRunnerArgs, { kind: "invalid" }>).problems;
  }

  it("defaults the work dir to the current directory and the preview summary to pulumi-preview.md", () => {
    assert.deepEqual(expectRun(parseRunnerArgs(["preview", "--stack", "dev"], cwd)), {
      command: "preview",
      stackName: "dev",
      workDir: cwd,
      summaryPath: path.join(cwd, DEFAULT_PREVIEW_SUMMARY),
    });
  });

  it("resolves --work-dir and --summary against the current directory; up writes a summary only on request", () => {
    assert.deepEqual(expectRun(parseRunnerArgs(["up", "--stack", "acme/lakebase/prod", "--work-dir", "infra"], cwd)), {
      command: "up",
      stackName: "acme/lakebase/prod",
      workDir: path.join(cwd, "infra"),
      summaryPath: null,
    });
    assert.equal(expectRun(parseRunnerArgs(["up", "--stack", "prod", "--summary", "out/up.md"], cwd)).summaryPath, path.join(cwd, "out/up.md"));
    assert.equal(expectRun(parseRunnerArgs(["preview", "--stack=dev", "--summary", "/tmp/p.md"], cwd)).summaryPath, "/tmp/p.md");
  });

  it("reports every problem at once, naming the argument", () => {
    assert.deepEqual(expectProblems(parseRunnerArgs([], cwd)), [
      "the first argument must be the command: preview or up",
      "--stack is required: name the stack to preview or update, e.g. --stack dev",
    ]);
    assert.deepEqual(expectProblems(parseRunnerArgs(["destroy", "--stack", "dev"], cwd)), ["the first argument must be the command: preview or up"]);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stack", "my stack"], cwd))[0] ?? "", /^--stack must be a stack name/);
    assert.deepEqual(expectProblems(parseRunnerArgs(["preview", "up", "--stack", "dev"], cwd)), ["only one command is allowed: preview or up"]);
    assert.deepEqual(expectProblems(parseRunnerArgs(["preview", "--stack", "dev", "--summary", ""], cwd)), ["--summary must not be empty"]);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stak", "dev"], cwd))[0] ?? "", /Unknown option '--stak'/);
    assert.match(expectProblems(parseRunnerArgs(["preview", "--stack"], cwd))[0] ?? "", /--stack/);
  });

  it("recognises --help and -h", () => {
    assert.deepEqual(parseRunnerArgs(["--help"], cwd), { kind: "help" });
    assert.deepEqual(parseRunnerArgs(["preview", "-h"], cwd), { kind: "help" });
  });

  it("explains a missing CLI in one paragraph, with what it tried and both ways to get one", () => {
    const missing = missingCliMessage(["PATH: no `pulumi` binary is on PATH", "cache: nothing provisioned yet in /cache/pulumi-v3.274.1"]);
    assert.equal(missing.trimEnd().split("\n").length, 1);
    assert.ok(missing.startsWith("gitops runner: the Pulumi CLI is required but none was found (PATH: no `pulumi` binary is on PATH; cache: nothing provisioned yet in /cache/pulumi-v3.274.1)."), missing);
    assert.ok(missing.includes(INSTALL_URL) && missing.includes("`npm run pulumi-cli`"), missing);
  });
});
