import http from "node:http";
import type { z } from "zod";
import { describeIssues } from "../validation";

/** An error answered as Immuta does: `{statusCode, error, message}` (hapi/Boom style). */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface BoomBody {
  statusCode: number;
  error: string;
  message: string;
}

export function boomBody(statusCode: number, message: string): BoomBody {
  return { statusCode, error: http.STATUS_CODES[statusCode] ?? "Error", message };
}

/** The parsed value, or a 400 naming every invalid field. */
export function parseOrReject<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, describeIssues(result.error));
  return result.data;
}
