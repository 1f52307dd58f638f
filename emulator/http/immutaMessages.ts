import type { z } from "zod";

/**
 * One terse line naming the first invalid field, in the words of Immuta's validator (hapi with Joi,
 * which stops at the first problem): `"connection.port" must be less than or equal to 65535`.
 * Input values are never echoed: a field may hold a secret.
 */
export function immutaValidationMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "Invalid request payload input";
  const label = labelOf(issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `${label} is required`;
      if (issue.expected === "int" && typeof issue.input === "number") return `${label} must be an integer`;
      return `${label} must be ${TYPE_NAMES[issue.expected] ?? `of type ${issue.expected}`}`;
    case "too_small":
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1 ? `${label} is not allowed to be empty` : `${label} length must be at least ${issue.minimum} characters long`;
      }
      if (issue.origin === "array") return `${label} must contain at least ${issue.minimum} items`;
      return `${label} must be greater than ${issue.inclusive ? "or equal to " : ""}${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `${label} length must be less than or equal to ${issue.maximum} characters long`;
      if (issue.origin === "array") return `${label} must contain less than or equal to ${issue.maximum} items`;
      return `${label} must be less than ${issue.inclusive ? "or equal to " : ""}${issue.maximum}`;
    case "invalid_value":
      return issue.values.length === 1 ? `${label} must be [${String(issue.values[0])}]` : `${label} must be one of [${issue.values.map(String).join(", ")}]`;
    case "invalid_format":
      if (issue.format === "regex") return `${label} fails to match the required pattern: ${(issue as { pattern?: string }).pattern ?? ""}`;
      if (issue.format === "url") return `${label} must be a valid uri`;
      if (issue.format === "starts_with") return `${label} must start with "${(issue as { prefix?: string }).prefix ?? ""}"`;
      return `${label} must be a valid ${issue.format}`;
    case "unrecognized_keys":
      return `${labelOf([...issue.path, issue.keys[0] ?? ""])} is not allowed`;
    case "custom":
      return `${label} ${issue.message}`;
    default:
      return `${label} is invalid`;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a number",
  boolean: "a boolean",
  object: "of type object",
  array: "an array",
};

/** Joi labels a field by its full path; the whole payload is `value`. */
export function labelOf(path: ReadonlyArray<PropertyKey>): string {
  return `"${path.length === 0 ? "value" : path.map(String).join(".")}"`;
}
