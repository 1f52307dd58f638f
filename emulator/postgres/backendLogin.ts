import crypto from "node:crypto";
import type { MessageReader } from "./messageReader";

/**
 * Answers PostgreSQL's authentication requests on a freshly started backend connection with
 * `password` (cleartext, MD5 or SCRAM-SHA-256, whichever the server's pg_hba.conf asks for).
 * Resolves with the raw AuthenticationOk message; rejects with the server's ErrorResponse (raw) if it refuses.
 */
export async function answerBackendLogin(
  reader: MessageReader,
  write: (bytes: Buffer) => void,
  user: string,
  password: string,
  forward: (raw: Buffer) => void,
): Promise<Buffer> {
  let scram: { clientNonce: string; clientFirstBare: string } | undefined;
  for (;;) {
    const { type, body, raw } = await reader.message();
    if (type === "E") throw new BackendRefusal(raw);
    if (type !== "R") {
      forward(raw);
      continue;
    }
    const request = body.readInt32BE(0);
    switch (request) {
      case 0:
        return raw;
      case 3:
        write(passwordMessage(Buffer.from(`${password}\0`)));
        break;
      case 5: {
        const inner = md5(`${password}${user}`);
        write(passwordMessage(Buffer.from(`md5${md5(Buffer.concat([Buffer.from(inner), body.subarray(4, 8)]))}\0`)));
        break;
      }
      case 10: {
        const clientNonce = crypto.randomBytes(18).toString("base64");
        scram = { clientNonce, clientFirstBare: `n=*,r=${clientNonce}` };
        const initial = Buffer.from(`n,,${scram.clientFirstBare}`);
        const length = Buffer.alloc(4);
        length.writeInt32BE(initial.length);
        write(passwordMessage(Buffer.concat([Buffer.from("SCRAM-SHA-256\0"), length, initial])));
        break;
      }
      case 11:
        if (scram === undefined) throw new Error("SCRAM continuation without a SCRAM start");
        write(passwordMessage(Buffer.from(scramClientFinal(scram, body.subarray(4).toString("utf8"), password))));
        break;
      case 12:
        break;
      default:
        throw new Error(`unsupported PostgreSQL authentication request ${request}`);
    }
  }
}

/** The server's refusal, to be forwarded to the client as it is. */
export class BackendRefusal extends Error {
  constructor(readonly errorResponse: Buffer) {
    super("PostgreSQL refused the login");
  }
}

/** RFC 5802's client-final-message for the server-first-message `serverFirst`. */
function scramClientFinal(scram: { clientNonce: string; clientFirstBare: string }, serverFirst: string, password: string): string {
  const fields = Object.fromEntries(serverFirst.split(",").map((field) => [field.slice(0, 1), field.slice(2)]));
  const nonce = fields.r ?? "";
  if (!nonce.startsWith(scram.clientNonce)) throw new Error("the server's SCRAM nonce does not extend ours");
  const salted = crypto.pbkdf2Sync(password, Buffer.from(fields.s ?? "", "base64"), Number(fields.i), 32, "sha256");
  const clientKey = hmac(salted, "Client Key");
  const storedKey = crypto.createHash("sha256").update(clientKey).digest();
  const withoutProof = `c=biws,r=${nonce}`;
  const signature = hmac(storedKey, `${scram.clientFirstBare},${serverFirst},${withoutProof}`);
  const proof = Buffer.from(clientKey.map((byte, index) => byte ^ (signature[index] ?? 0)));
  return `${withoutProof},p=${proof.toString("base64")}`;
}

/** A PasswordMessage ('p'): also the envelope of SASL responses. */
export function passwordMessage(body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write("p", 0);
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function hmac(key: Buffer, text: string): Buffer {
  return crypto.createHmac("sha256", key).update(text).digest();
}

function md5(input: string | Buffer): string {
  return crypto.createHash("md5").update(input).digest("hex");
}
