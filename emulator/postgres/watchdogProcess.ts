import fs from "node:fs";
import { isPostmasterOf, readPidFile, stopPostmaster } from "./processes";
import type { WatchdogPlan } from "./watchdog";

// The watchdog (see watchdog.ts): runs detached, in its own session, so a terminal's signals do not reach it.
const plan = JSON.parse(process.argv[2] ?? "{}") as WatchdogPlan;
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => (input += chunk));
process.stdin.on("error", () => undefined);
process.stdin.on("close", () => {
  if (input.includes("done")) process.exit(0);
  void cleanUp().finally(() => process.exit(0));
});

async function cleanUp(): Promise<void> {
  if (isPostmasterOf(plan.postmasterPid, plan.dataDir)) await stopPostmaster(plan.postmasterPid);
  if (plan.removeDir !== undefined) fs.rmSync(plan.removeDir, { recursive: true, force: true });
  if (plan.ownerFile !== undefined && readPidFile(plan.ownerFile) === plan.ownerPid) fs.rmSync(plan.ownerFile, { force: true });
}
