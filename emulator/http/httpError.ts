import http from "node:http";
import type { z } from "zod";
import { immutaValidationMessage, labelOf } from "./immutaMessages";

/** An error answered as Immuta does: `{statusCode, error, message}` (hapi/Boom style). */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface BoomBody {
  statusCode: number;
  error: string;
  message: string;
}

export function boomBody(statusCode: number, message: string = http.STATUS_CODES[statusCode] ?? "Error"): BoomBody {
  return { statusCode, error: http.STATUS_CODES[statusCode] ?? "Error", message };
}

/** The parsed value, or a 400 naming the first invalid field as Immuta's validator would. */
export function parseOrReject<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new HttpError(400, immutaValidationMessage(result.error));
  return result.data;
}

/**
 * A 400 naming the first string (or key) in `value` that holds a NUL: PostgreSQL's text cannot
 * store one, so without this check it would surface as a 500.
 */
export function rejectNulCharacters(value: unknown, path: ReadonlyArray<string> = []): void {
  if (typeof value === "string") {
    if (value.includes("\u0000")) throw new HttpError(400, `${labelOf(path)} must not contain a null character`);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes("\u0000")) throw new HttpError(400, `${labelOf(path)} must not contain a null character in a key`);
    rejectNulCharacters(child, [...path, key]);
  }
}
