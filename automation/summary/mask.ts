// Keeping secrets out of a summary: the engine masks secret values itself, but a secret may also sit
// in plain text under a secret property's name, inside a revealed envelope, or in free text.
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { redact, SECRET_TEXT } from "../../provider/errors";
import { SECRET_PROPERTY_NAMES } from "./policy";

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSecretEnvelope(value: unknown): boolean {
  return isRecord(value) && value[specialSigKey] === specialSecretSig;
}

/** The engine's mask (`[secret]`) or a secret envelope. */
export function isMaskedSecret(value: unknown): boolean {
  return value === SECRET_TEXT || isSecretEnvelope(value);
}

export function stepsOf(event: EngineEvent): StepEventMetadata[] {
  return [event.resourcePreEvent?.metadata, event.resOutputsEvent?.metadata, event.resOpFailedEvent?.metadata].filter(
    (meta): meta is StepEventMetadata => meta != null,
  );
}

/** Every plain-text value that the events hold under a secret property name, so it can be scrubbed from free text. */
export function plaintextSecrets(events: readonly EngineEvent[]): string[] {
  const found = new Set<string>();
  for (const meta of events.flatMap(stepsOf)) {
    for (const state of [meta.old, meta.new]) {
      collectPlaintextSecrets(state?.inputs, false, found);
      collectPlaintextSecrets(state?.outputs, false, found);
    }
  }
  return [...found];
}

function collectPlaintextSecrets(value: unknown, underSecretName: boolean, found: Set<string>): void {
  if (typeof value === "string") {
    if (underSecretName && value !== SECRET_TEXT && value !== unknownValue) found.add(value);
  } else if (isSecretEnvelope(value)) {
    // An envelope shown with secrets revealed carries `plaintext`: the JSON text of the value.
    const plaintext = (value as JsonRecord)["plaintext"];
    if (typeof plaintext === "string") {
      found.add(plaintext);
      collectPlaintextSecrets(parseJsonOrText(plaintext), true, found);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item) => collectPlaintextSecrets(item, underSecretName, found));
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) collectPlaintextSecrets(item, underSecretName || SECRET_PROPERTY_NAMES.has(key), found);
  }
}

/** The value with every secret in it masked: envelopes, secret property names, and known secrets inside strings. */
export function maskSecrets(value: unknown, secrets: readonly string[]): unknown {
  if (isMaskedSecret(value)) return SECRET_TEXT;
  if (typeof value === "string") return redact(value, secrets);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, secrets));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_PROPERTY_NAMES.has(key) ? SECRET_TEXT : maskSecrets(item, secrets)]));
  }
  return value;
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
