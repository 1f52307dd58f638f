import type { z } from "zod";

/** One line naming every invalid field, e.g. `connection.port: Too big: expected number to be <=65535`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`).join("; ");
}
