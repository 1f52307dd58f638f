// `npm run --silent pulumi-cli`: provisions the pinned Pulumi CLI and prints, as the last line of
// stdout, the folder holding `pulumi`; progress and failures go to stderr.
//   export PATH="$(npm run --silent pulumi-cli | tail -1):$PATH"
import { describeCli } from "./describe";
import { provisionPulumiCli } from "./provision";

async function main(): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`pulumi-cli: ${line}\n`);
  try {
    const cli = await provisionPulumiCli({ log });
    log(describeCli(cli));
    process.stdout.write(`${cli.binDir}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`pulumi-cli: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
