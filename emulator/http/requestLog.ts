import type { FaultKind } from "../types";

export interface RequestLogEntry {
  seq: number;
  method: string;
  url: string;
  /** The route pattern, e.g. `/bim/iam/:iamid/user/:userid`; null when no route matched. */
  route: string | null;
  /** null when the connection was dropped without a response. */
  status: number | null;
  fault: FaultKind | null;
  at: string;
}

export interface RequestLogQuery {
  route?: string;
  method?: string;
  since?: number;
}

const CAPACITY = 10_000;
const SECRET_PARAMETER = /key|token|secret|password|passwd|credential|auth|code|signature/i;

/** The most recent requests (bounded), with secret-looking query values redacted. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private nextSeq = 1;

  record(entry: Omit<RequestLogEntry, "seq" | "at">): void {
    this.entries.push({ seq: this.nextSeq++, ...entry, url: redactQuery(entry.url), at: new Date().toISOString() });
    if (this.entries.length > CAPACITY) this.entries.splice(0, this.entries.length - CAPACITY);
  }

  list(query: RequestLogQuery): RequestLogEntry[] {
    const method = query.method?.toUpperCase();
    return this.entries.filter(
      (entry) =>
        (query.route === undefined || entry.route === query.route) &&
        (method === undefined || entry.method === method) &&
        (query.since === undefined || entry.seq > query.since),
    );
  }

  clear(): void {
    this.entries = [];
  }
}

function redactQuery(url: string): string {
  const start = url.indexOf("?");
  if (start === -1) return url;
  const parameters = url
    .slice(start + 1)
    .split("&")
    .map((parameter) => {
      const name = parameter.split("=", 1)[0] ?? "";
      return SECRET_PARAMETER.test(safeDecode(name)) ? `${name}=[REDACTED]` : parameter;
    });
  return `${url.slice(0, start)}?${parameters.join("&")}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
