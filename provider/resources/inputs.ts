/**
 * What every resource's check() shares: validation with zod that reports every bad field at once,
 * lets preview's unknown values through, and never touches the network.
 */
import { z } from "zod";
import { InvalidArgumentError } from "../errors";

/**
 * The value Pulumi sends during preview for an input that depends on an output not known yet
 * (`pulumi.runtime.unknownValue`; kept as a literal so the provider does not load the SDK).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

export type Shape = Record<string, z.ZodType>;
/** Checked inputs: each field either valid (with defaults applied) or still unknown (preview). */
export type Checked<S extends Shape> = { [K in keyof S]: z.output<S[K]> | typeof UNKNOWN };

/** Validates each known field; unknown ones pass through as they are. Unlisted keys are dropped. */
export function checkShape<S extends Shape>(shape: S, news: Record<string, unknown>): { inputs: Partial<Checked<S>>; failures: CheckFailure[] } {
  const inputs: Record<string, unknown> = {};
  const failures: CheckFailure[] = [];
  for (const [property, schema] of Object.entries(shape)) {
    const value = news[property];
    if (value === UNKNOWN) {
      inputs[property] = value;
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      if (parsed.data !== undefined) inputs[property] = parsed.data;
    } else {
      failures.push(...parsed.error.issues.map((issue) => ({ property, reason: issue.message })));
    }
  }
  return { inputs: inputs as Partial<Checked<S>>, failures };
}

export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

/**
 * A required string; the message says what is expected rather than zod's type jargon. A NUL
 * character is refused in every string argument (PostgreSQL cannot store one, and C-based tools
 * cut the value there); once one is found the field's other rules are skipped, as they would only
 * repeat the problem.
 */
export function requiredString(expected: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${expected}` : `must be a string: ${expected}`) })
    .refine((value) => !value.includes("\0"), { message: "must not contain a NUL character", abort: true });
}

export function byteLength(max: number, what: string) {
  return (value: string, ctx: z.RefinementCtx) => {
    if (Buffer.byteLength(value, "utf8") > max) ctx.addIssue({ code: "custom", message: `is ${Buffer.byteLength(value, "utf8")} bytes long; ${what} may be at most ${max} bytes` });
  };
}

/**
 * The outputs of a create or update that failed part-way, as the host is to record them: they must
 * carry the host's `__provider` input, or refresh and destroy cannot load the provider.
 */
export function withHostProvider<T extends object>(outputs: T, inputs: Record<string, unknown>): T & { readonly __provider: unknown } {
  return { ...outputs, __provider: inputs.__provider };
}

/** Drops undefined recursively: the host fails on undefined *after* the API call succeeded. */
export function toStruct<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Checked inputs for create and update, which never see unknowns: any failure or unknown left at
 * this point is a bug upstream or a value that resolved badly, reported as an argument error.
 */
export function requireComplete<T>(resource: string, checked: { inputs: Record<string, unknown>; failures: readonly CheckFailure[] }): T {
  const unknown = Object.keys(checked.inputs).filter((field) => isUnknown(checked.inputs[field]));
  const problems = [...checked.failures.map((f) => `${f.property} ${f.reason}`), ...unknown.map((field) => `${field} is still unknown`)];
  if (problems.length > 0) throw new InvalidArgumentError(`Invalid ${resource} arguments: ${problems.join("; ")}.`);
  return checked.inputs as T;
}
