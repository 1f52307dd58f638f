// The real Pulumi CLI for the end-to-end tests: found on PATH or in the cache that `npm run
// pulumi-cli` fills. Without one the e2e tests skip, saying why; in CI they fail instead, so that a
// missing provisioning step cannot pass for a green run.
import type { Context } from "mocha";
import { locatePulumiCli, type PulumiCli } from "../../automation/cli/locate";

let lookup: ReturnType<typeof locatePulumiCli> | undefined;

export async function requirePulumiCli(context: Context): Promise<PulumiCli> {
  lookup ??= locatePulumiCli();
  const found = await lookup;
  if (found.found) return found.cli;
  const why = `no Pulumi CLI (${found.tried.join("; ")}); \`npm run pulumi-cli\` provisions it`;
  if (process.env.CI) throw new Error(`CI is set, so the end-to-end tests must run, but there is ${why}. .ci/run runs it before npm test.`);
  console.log(`    e2e skipped: ${why}`);
  return context.skip();
}
