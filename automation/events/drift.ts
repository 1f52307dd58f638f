// What a `pulumi refresh` found changed, read from its engine events: each resource whose outputs
// differ between the state before and after the refresh, with the changed properties.
import { isDeepStrictEqual } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { redact } from "../../provider/errors";

export interface PropertyDrift {
  readonly name: string;
  /** JSON text of the value; the engine shows secrets as "[secret]". */
  readonly before: string;
  readonly after: string;
}

export interface ResourceDrift {
  /** The resource's name in the program, e.g. `lakebase`. */
  readonly name: string;
  /** The last part of the type token, e.g. `LakebaseConnection`. */
  readonly type: string;
  readonly properties: readonly PropertyDrift[];
}

/** Sorted by name: the engine reports resources as their reads finish, in no fixed order. */
export function driftFromRefresh(events: readonly EngineEvent[]): ResourceDrift[] {
  const drift: ResourceDrift[] = [];
  for (const event of events) {
    const step = event.resOutputsEvent?.metadata;
    if (!step?.old || !step.new) continue;
    const before = step.old.outputs ?? {};
    const after = step.new.outputs ?? {};
    const properties = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((key) => !key.startsWith("__") && !isDeepStrictEqual(before[key], after[key]))
      .sort()
      .map((key) => ({ name: key, before: show(before[key]), after: show(after[key]) }));
    if (properties.length > 0) {
      drift.push({ name: step.urn.split("::").pop() ?? step.urn, type: step.type.split(":").pop() ?? step.type, properties });
    }
  }
  return drift.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
}

/** One line per drifted resource, e.g. `lakebase (LakebaseConnection): hostname "127.0.0.1" → "localhost"`. */
export function describeDrift(drift: readonly ResourceDrift[], secrets: readonly string[]): string[] {
  return drift.map((resource) => {
    const changes = resource.properties.map((p) => `${p.name} ${p.before} → ${p.after}`).join(", ");
    return redact(`${resource.name} (${resource.type}): ${changes}`, secrets);
  });
}

function show(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}
