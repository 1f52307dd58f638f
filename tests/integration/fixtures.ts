import type { Emulator } from "../../emulator";
import type { ProviderSettings } from "../../provider/config";
import type { ConnectionDeclaration } from "../../provider/connection";

/** Settings that point the provider at the emulator, with short bounds so failures surface fast. */
export function settingsFor(em: Emulator, overrides: Partial<ProviderSettings> = {}): ProviderSettings {
  return { url: em.immutaUrl, apiKey: em.apiKey, requestTimeoutMs: 10_000, maxRetries: 6, maxConcurrency: 8, crawlTimeoutMs: 30_000, ...overrides };
}

export function declarationFor(em: Emulator, overrides: Partial<ConnectionDeclaration> = {}): ConnectionDeclaration {
  return {
    connectionKey: "lakebase_it",
    hostname: em.lakebase.hostname,
    port: em.lakebase.port,
    database: em.lakebase.database,
    workspaceUrl: em.workspaceUrl,
    clientId: em.clientId,
    clientSecret: em.clientSecret,
    preflight: true,
    adopt: false,
    ...overrides,
  };
}

/** Collects the provider's progress lines instead of printing them. */
export function collectingLog(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => lines.push(line), lines };
}

export async function rejection(pending: Promise<unknown>): Promise<Error> {
  try {
    await pending;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection, but it resolved");
}
