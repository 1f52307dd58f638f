// `npm run demo`: the quickstart against the local emulator, start to finish, told step by step,
// through the real Pulumi engine.
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { describeCli } from "../../automation/cli/describe";
import type { PulumiCli } from "../../automation/cli/locate";
import { provisionPulumiCli } from "../../automation/cli/provision";
import { PULUMI_CLI_VERSION } from "../../automation/cli/version";
import { describeDrift, driftFromRefresh } from "../../automation/events/drift";
import { describeFailure } from "../../automation/events/failure";
import { ImmutaConsole } from "../../automation/quickstart/immutaConsole";
import { describeUsername, heldValues, makeOutsideChange, plannedOutsideChange, type ManagedValues, type OutsideChange } from "../../automation/quickstart/outsideChange";
import { QUICKSTART_DEFAULTS } from "../../automation/quickstart/settings";
import { createQuickstartStack, type QuickstartStack } from "../../automation/quickstart/stack";
import { summarisePlan } from "../../automation/summary/plan";
import { startEmulator, type Emulator } from "../../emulator";
import { Narrator } from "./narrator";

export const EXIT_CODES = { ok: 0, failed: 1, cliMissing: 2, interrupted: 130 } as const;

type Operation = "preview" | "up" | "refresh" | "destroy";

/** A Pulumi operation failed; the message is the engine's own account of why. */
class OperationFailed extends Error {
  constructor(operation: Operation, reason: string) {
    super(`pulumi ${operation} failed: ${reason}`);
    this.name = "OperationFailed";
  }
}

/** Runs one Pulumi operation with its output streamed under the current step; returns its engine events. */
async function run(stack: Stack, operation: Operation, narrator: Narrator, signal: AbortSignal): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const stdout = narrator.cliOutput();
  const stderr = narrator.cliOutput();
  const options = {
    onOutput: stdout.write,
    onError: stderr.write,
    onEvent: (event: EngineEvent) => void events.push(event),
    signal,
    color: process.stdout.isTTY ? "always" : "never",
    suppressProgress: true,
  } as const;
  try {
    switch (operation) {
      case "preview":
        await stack.preview({ ...options, diff: true });
        break;
      case "up":
        await stack.up({ ...options, diff: true });
        break;
      case "refresh":
        await stack.refresh(options);
        break;
      case "destroy":
        await stack.destroy({ ...options, diff: true });
        break;
    }
    return events;
  } catch (error) {
    if (signal.aborted) throw error;
    throw new OperationFailed(operation, describeFailure(events, error, narrator.knownSecrets));
  } finally {
    stdout.flush();
    stderr.flush();
  }
}

/** The quickstart's resources by what happens to them, e.g. `create: lakebase (LakebaseConnection), ...`. */
function describePlan(events: readonly EngineEvent[]): string {
  const { rows } = summarisePlan(events);
  const actions = [...new Set(rows.map((row) => row.action))];
  if (actions.length === 0) return "no changes";
  return actions
    .map((action) => `${action}: ${rows.filter((row) => row.action === action).map((row) => `${row.name} (${row.typeLabel})`).join(", ")}`)
    .join("; ");
}

function describeValues(values: ManagedValues, change: OutsideChange): string {
  return `the connection's hostname is ${values.hostname} and ${change.user.userId}'s PostgreSQL username is ${describeUsername(values.postgresUsername)}`;
}

async function tour(emulator: Emulator, quickstart: QuickstartStack, narrator: Narrator, signal: AbortSignal): Promise<void> {
  const { stack } = quickstart;
  const change = plannedOutsideChange(emulator);

  narrator.step(
    4,
    "pulumi preview",
    "Pulumi runs the program and shows what it would do, without changing anything: register one LakebaseConnection and set three ExternalUserMappings " +
      `(${QUICKSTART_DEFAULTS.usernameUser} mapped to "${QUICKSTART_DEFAULTS.postgresUsername}", ${QUICKSTART_DEFAULTS.unsetUser} unset, ${QUICKSTART_DEFAULTS.noneUser} none).`,
  );
  narrator.say(`Preview: ${describePlan(await run(stack, "preview", narrator, signal))}.`);

  narrator.step(
    5,
    "pulumi up",
    "Pulumi registers the connection: Immuta fetches an OAuth token for the service principal, logs in to PostgreSQL with it, checks its privileges and crawls the database. " +
      "Then Pulumi sets the three users' PostgreSQL usernames.",
  );
  narrator.say(`Up: ${describePlan(await run(stack, "up", narrator, signal))}.`);
  const outputs = await stack.outputs();
  narrator.say(
    `Stack outputs: ${Object.entries(outputs)
      .map(([key, output]) => `${key} = ${output.secret ? "[secret]" : JSON.stringify(output.value)}`)
      .join(", ")}.`,
  );

  const immuta = await ImmutaConsole.signIn(emulator.immutaUrl, emulator.apiKey);
  signal.throwIfAborted();
  narrator.step(
    6,
    "someone changes things in Immuta's UI",
    `Outside Pulumi, an admin maps ${change.user.userId} to the PostgreSQL username ${describeUsername(change.mistypedUsername)}, which PostgreSQL does not know, ` +
      `and edits the connection's hostname from ${change.declared.hostname} to ${change.edited.hostname}. The edit makes Immuta crawl the database again; ` +
      `finding no role ${describeUsername(change.mistypedUsername)}, Immuta switches ${change.user.userId} to none by itself, as it does on a real tenant. ` +
      "Pulumi's state does not know yet.",
  );
  await makeOutsideChange(immuta, change);
  narrator.say(`Immuta now says ${describeValues(await heldValues(immuta, change), change)}.`);
  signal.throwIfAborted();

  narrator.step(7, "pulumi refresh", "Pulumi reads every resource back from Immuta and records in its state what changed there: the drift.");
  const drift = describeDrift(driftFromRefresh(await run(stack, "refresh", narrator, signal)), narrator.knownSecrets);
  narrator.say(drift.length > 0 ? "Refresh found drift:" : "Refresh found no drift.");
  drift.forEach((line) => narrator.say(`- ${line}`));

  narrator.step(8, "pulumi up again", "The program still declares the original values, so Pulumi puts them back in Immuta: the drift heals.");
  narrator.say(`Up: ${describePlan(await run(stack, "up", narrator, signal))}.`);
  const healed = await heldValues(immuta, change);
  if (healed.hostname !== change.declared.hostname || healed.postgresUsername !== change.declared.postgresUsername) {
    throw new Error(`pulumi up did not restore the declared values: Immuta says ${describeValues(healed, change)}, expected ${describeValues(change.declared, change)}`);
  }
  narrator.say(`Immuta says ${describeValues(healed, change)} again.`);

  narrator.step(9, "pulumi destroy", "Pulumi returns the three users to unset and deregisters the connection.");
  narrator.say(`Destroy: ${describePlan(await run(stack, "destroy", narrator, signal))}.`);
}

/** The CLI, provisioned as `npm run pulumi-cli` does, with its progress told as the demo's first step. */
async function pulumiCli(narrator: Narrator): Promise<PulumiCli> {
  narrator.step(
    1,
    "the Pulumi CLI",
    `The demo drives the real Pulumi engine: the CLI v${PULUMI_CLI_VERSION}, through the Automation API. It takes a \`pulumi\` on PATH, else the one provisioned ` +
      "earlier in ~/.cache/pulumi-immuta-lakebase, else the official release, else it builds the CLI from the Go module proxy: " +
      "a first build takes about 5 minutes on 2 cores, later runs start at once.",
  );
  const cli = await provisionPulumiCli({ log: (line) => narrator.say(line) });
  narrator.say(`Using the ${describeCli(cli)}.`);
  return cli;
}

export async function main(): Promise<number> {
  const narrator = new Narrator();
  const interrupt = new AbortController();
  const onInterrupt = (): void => {
    if (interrupt.signal.aborted) {
      // A second Ctrl-C gives up waiting; the emulator's exit hook still stops its PostgreSQL.
      process.exit(EXIT_CODES.interrupted);
    }
    narrator.say("Interrupted: stopping the emulator and removing the temporary stack (Ctrl-C again to quit at once).");
    interrupt.abort();
  };
  process.on("SIGINT", onInterrupt);

  let emulator: Emulator | undefined;
  let quickstart: QuickstartStack | undefined;
  try {
    let cli: PulumiCli;
    try {
      cli = await pulumiCli(narrator);
    } catch (error) {
      if (interrupt.signal.aborted) return EXIT_CODES.interrupted;
      process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\nThe demo stops here without starting anything.\n`);
      return EXIT_CODES.cliMissing;
    }
    interrupt.signal.throwIfAborted();

    narrator.step(
      2,
      "start the emulator",
      "A local stand-in for Immuta and for Databricks' OAuth token endpoint, over a real PostgreSQL that plays the Lakebase database. " +
        `Its seeded users include ${QUICKSTART_DEFAULTS.usernameUser}, ${QUICKSTART_DEFAULTS.unsetUser} and ${QUICKSTART_DEFAULTS.noneUser}.`,
    );
    emulator = await startEmulator();
    narrator.keepSecret(emulator.apiKey, emulator.noPermissionApiKey, emulator.clientSecret, emulator.adminPostgresUrl);
    narrator.say(`Immuta (emulated) at ${emulator.immutaUrl}; Lakebase (PostgreSQL) at ${emulator.lakebase.hostname}:${emulator.lakebase.port}.`);
    interrupt.signal.throwIfAborted();

    // A program folder needs a language host of the CLI's own version; an inline program needs none.
    const program = cli.languageHost.kind === "matching" ? "program-directory" : "inline";
    narrator.step(
      3,
      "create a throwaway stack",
      (program === "inline"
        ? "A stack of the quickstart program (automation/quickstart/program.ts), run inline: the CLI talks to this process, so no Node.js language host is needed. "
        : "A stack of the quickstart program, run from the root Pulumi.yaml as `pulumi up` there would. ") +
        "Its state lives in a temporary folder and its config points at the emulator; the API key and the client secret are stored as encrypted secrets.",
    );
    quickstart = await createQuickstartStack({ emulator, cli, prefix: "quickstart-demo", program });
    narrator.keepSecret(...quickstart.secrets);
    narrator.say(`Stack ${quickstart.name}, state in ${quickstart.stateDir}.`);
    interrupt.signal.throwIfAborted();

    await tour(emulator, quickstart, narrator, interrupt.signal);
    narrator.say("\nDone. To run the quickstart against your own Immuta tenant, see examples/quickstart/README.md.");
    return EXIT_CODES.ok;
  } catch (error) {
    if (interrupt.signal.aborted) return EXIT_CODES.interrupted;
    process.stderr.write(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_CODES.failed;
  } finally {
    if (emulator !== undefined || quickstart !== undefined) narrator.say("\nCleaning up: removing the temporary stack and stopping the emulator.");
    for (const problem of (await quickstart?.dispose()) ?? []) process.stderr.write(`Could not clean up: ${problem}\n`);
    await emulator?.stop().catch((error: unknown) => process.stderr.write(`Could not stop the emulator: ${error instanceof Error ? error.message : String(error)}\n`));
    process.off("SIGINT", onInterrupt);
  }
}

if (require.main === module) {
  let settled = false;
  // Seen once in many runs: an Automation API operation whose promise never settled, with nothing left
  // to wait for, so Node.js would exit 0 halfway through the story. Such a run must not pass for a success.
  process.once("beforeExit", () => {
    if (settled) return;
    process.stderr.write("\nThe demo failed: a Pulumi operation never finished, and nothing was left to wait for. Run `npm run demo` again.\n");
    process.exit(EXIT_CODES.failed);
  });
  main().then(
    (code) => {
      settled = true;
      process.exit(code);
    },
    (error: unknown) => {
      settled = true;
      process.stderr.write(`The demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(EXIT_CODES.failed);
    },
  );
}
