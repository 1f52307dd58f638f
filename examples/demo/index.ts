// `npm run demo`: the quickstart against the local emulator, start to finish, told step by step.
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { startEmulator, type Emulator } from "../../emulator";
import { describeFailure } from "../gitops/runner";
import { summarisePlan } from "../gitops/summary";
import { QUICKSTART_DEFAULTS } from "../quickstart/settings";
import { describeDrift, driftFromRefresh } from "./drift";
import { ImmutaConsole } from "./immutaConsole";
import { Narrator } from "./narrator";
import { describeUsername, heldValues, makeOutsideChange, plannedOutsideChange, type ManagedValues, type OutsideChange } from "./outsideChange";
import { findPulumiCli, missingCliParagraph } from "./pulumiCli";
import { createQuickstartStack, type QuickstartStack } from "./quickstartStack";

export const EXIT_CODES = { ok: 0, failed: 1, cliMissing: 2, interrupted: 130 } as const;

type Operation = "preview" | "up" | "refresh" | "destroy";

// The stack itself, which every operation lists besides the program's resources.
const STACK_TYPE = "pulumi:pulumi:Stack";

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
  } finally {
    stdout.flush();
    stderr.flush();
  }
}

/** The quickstart's resources by what happens to them, e.g. `create: lakebase (LakebaseConnection), ...`. */
function describePlan(events: readonly EngineEvent[]): string {
  const rows = summarisePlan(events).rows.filter((row) => row.type !== STACK_TYPE);
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
    3,
    "pulumi preview",
    "Pulumi runs the program and shows what it would do, without changing anything: register one LakebaseConnection and set three ExternalUserMappings " +
      `(${QUICKSTART_DEFAULTS.usernameUser} mapped to "${QUICKSTART_DEFAULTS.postgresUsername}", ${QUICKSTART_DEFAULTS.unsetUser} unset, ${QUICKSTART_DEFAULTS.noneUser} none).`,
  );
  narrator.say(`Preview: ${describePlan(await run(stack, "preview", narrator, signal))}.`);

  narrator.step(
    4,
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
    5,
    "someone changes things in Immuta's UI",
    `Outside Pulumi, an admin edits the connection's hostname from ${change.declared.hostname} to ${change.edited.hostname}, and sets ` +
      `${change.user.userId}'s PostgreSQL username from ${describeUsername(change.declared.postgresUsername)} to ${describeUsername(change.edited.postgresUsername)}. ` +
      "Pulumi's state does not know yet.",
  );
  await makeOutsideChange(immuta, change);
  narrator.say(`Immuta now says ${describeValues(await heldValues(immuta, change), change)}.`);
  signal.throwIfAborted();

  narrator.step(6, "pulumi refresh", "Pulumi reads every resource back from Immuta and records in its state what changed there: the drift.");
  const drift = describeDrift(driftFromRefresh(await run(stack, "refresh", narrator, signal)), narrator.knownSecrets);
  narrator.say(drift.length > 0 ? "Refresh found drift:" : "Refresh found no drift.");
  drift.forEach((line) => narrator.say(`- ${line}`));

  narrator.step(7, "pulumi up again", "The program still declares the original values, so Pulumi puts them back in Immuta: the drift heals.");
  narrator.say(`Up: ${describePlan(await run(stack, "up", narrator, signal))}.`);
  const healed = await heldValues(immuta, change);
  if (healed.hostname !== change.declared.hostname || healed.postgresUsername !== change.declared.postgresUsername) {
    throw new Error(`pulumi up did not restore the declared values: Immuta says ${describeValues(healed, change)}, expected ${describeValues(change.declared, change)}`);
  }
  narrator.say(`Immuta says ${describeValues(healed, change)} again.`);

  narrator.step(8, "pulumi destroy", "Pulumi returns the three users to unset and deregisters the connection.");
  narrator.say(`Destroy: ${describePlan(await run(stack, "destroy", narrator, signal))}.`);
}

export async function main(): Promise<number> {
  const cli = await findPulumiCli();
  if (!cli.found) {
    process.stderr.write(missingCliParagraph(cli.reason));
    return EXIT_CODES.cliMissing;
  }
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
    narrator.step(
      1,
      "start the emulator",
      "A local stand-in for Immuta and for Databricks' OAuth token endpoint, over a real PostgreSQL that plays the Lakebase database. " +
        `Its seeded users include ${QUICKSTART_DEFAULTS.usernameUser}, ${QUICKSTART_DEFAULTS.unsetUser} and ${QUICKSTART_DEFAULTS.noneUser}.`,
    );
    emulator = await startEmulator();
    narrator.keepSecret(emulator.apiKey, emulator.noPermissionApiKey, emulator.clientSecret, emulator.adminPostgresUrl);
    narrator.say(`Immuta (emulated) at ${emulator.immutaUrl}; Lakebase (PostgreSQL) at ${emulator.lakebase.hostname}:${emulator.lakebase.port}.`);
    interrupt.signal.throwIfAborted();

    narrator.step(
      2,
      "create a throwaway stack",
      "A stack of the quickstart program (examples/quickstart/index.ts, which the root Pulumi.yaml runs), with its state in a temporary folder. " +
        "Its config points at the emulator; the API key and the client secret are stored as encrypted secrets.",
    );
    quickstart = await createQuickstartStack(emulator, cli.command, "quickstart-demo");
    narrator.keepSecret(...quickstart.secrets);
    narrator.say(`Stack ${quickstart.name}, state in ${quickstart.tempDir}.`);
    interrupt.signal.throwIfAborted();

    await tour(emulator, quickstart, narrator, interrupt.signal);
    narrator.say("\nDone. To run the quickstart against your own Immuta tenant, see examples/quickstart/README.md.");
    return EXIT_CODES.ok;
  } catch (error) {
    if (interrupt.signal.aborted) return EXIT_CODES.interrupted;
    process.stderr.write(`\nThe demo failed: ${describeFailure(error, narrator.knownSecrets)}\n`);
    return EXIT_CODES.failed;
  } finally {
    if (emulator !== undefined || quickstart !== undefined) narrator.say("\nCleaning up: removing the temporary stack and stopping the emulator.");
    for (const problem of (await quickstart?.dispose()) ?? []) process.stderr.write(`Could not clean up: ${problem}\n`);
    await emulator?.stop().catch((error: unknown) => process.stderr.write(`Could not stop the emulator: ${describeFailure(error, narrator.knownSecrets)}\n`));
    process.off("SIGINT", onInterrupt);
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`The demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(EXIT_CODES.failed);
    },
  );
}
