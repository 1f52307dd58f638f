import net from "node:net";
import { answerBackendLogin, BackendRefusal } from "../postgres/backendLogin";
import { MessageReader } from "../postgres/messageReader";

/** Who may log in with a Databricks token, and how the proxy then logs in to PostgreSQL as that same role. */
export interface OAuthLogins {
  /** The role's own PostgreSQL password when `role` is a service principal (its logins take tokens); undefined otherwise. */
  backendPassword(role: string): Promise<string | undefined>;
  /** Whether `token` is one the emulator issued to `role` and has not expired. */
  accepts(role: string, token: string): Promise<boolean>;
}

export interface LoginProxy {
  port: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/**
 * The Lakebase endpoint. Lakebase accepts every unexpired OAuth token of a principal as its
 * password, but PostgreSQL keeps one password per role and offers no authentication hook without a
 * C extension; setting the password to each new token (the first design) locked out whoever held
 * an older, still valid one. So a login proxy stands in front of PostgreSQL: for a service
 * principal it asks the client for its password in cleartext (as Lakebase does: token logins need
 * the plaintext), accepts any token the emulator issued to that role and has not expired (held as
 * SHA-256 hashes), then logs in to PostgreSQL as that same role with the role's own password. So
 * PostgreSQL still decides whether the role may log in at all (LOGIN, the database, CONNECT), and
 * what follows is a plain PostgreSQL session. Other roles (the admin, roles tests create) pass
 * straight through to PostgreSQL's own authentication.
 */
export async function startLoginProxy(
  backend: { hostname: string; port: number },
  logins: OAuthLogins,
  preferredPort: number,
  log: (line: string) => void,
): Promise<LoginProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    serve(client, backend, logins, sockets).catch((error: unknown) => {
      log(`Lakebase login proxy: ${error instanceof Error ? error.message : String(error)}`);
      client.destroy();
    });
  });
  const port = await listen(server, preferredPort).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE" || preferredPort === 0) throw error;
    return listen(server, 0);
  });
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function serve(client: net.Socket, backend: { hostname: string; port: number }, logins: OAuthLogins, sockets: Set<net.Socket>): Promise<void> {
  const fromClient = new MessageReader(client);
  let startup = await fromClient.startupPacket();
  // No TLS here (loopback); a client that asks is told so and carries on in plaintext.
  while (startup.length === 8 && [SSL_REQUEST, GSSENC_REQUEST].includes(startup.readInt32BE(4))) {
    client.write("N");
    startup = await fromClient.startupPacket();
  }
  const server = net.connect(backend.port, backend.hostname);
  sockets.add(server);
  server.on("close", () => sockets.delete(server));
  server.on("error", () => client.destroy());
  if (startup.length === 16 && startup.readInt32BE(4) === CANCEL_REQUEST) {
    server.end(startup);
    client.end();
    return;
  }
  const user = startupParameters(startup).user ?? "";
  const password = await logins.backendPassword(user);
  if (password === undefined) return splice(client, Buffer.concat([startup, fromClient.release()]), server, Buffer.alloc(0));

  client.write(authenticationCleartextPassword());
  const answer = await fromClient.message();
  const token = answer.type === "p" ? answer.body.toString("utf8").replace(/\0$/, "") : "";
  if (!(await logins.accepts(user, token))) {
    server.destroy();
    client.end(errorResponse("28P01", `password authentication failed for user "${user}"`));
    return;
  }
  server.write(startup);
  const fromServer = new MessageReader(server);
  try {
    const authenticationOk = await answerBackendLogin(fromServer, (bytes) => server.write(bytes), user, password, (raw) => client.write(raw));
    client.write(authenticationOk);
  } catch (error) {
    if (!(error instanceof BackendRefusal)) throw error;
    server.destroy();
    client.end(error.errorResponse);
    return;
  }
  splice(client, fromClient.release(), server, fromServer.release());
}

/** From here on the two sides talk directly; whatever was read ahead goes first. */
function splice(client: net.Socket, clientRest: Buffer, server: net.Socket, serverRest: Buffer): void {
  if (serverRest.length > 0) client.write(serverRest);
  if (clientRest.length > 0) server.write(clientRest);
  client.pipe(server);
  server.pipe(client);
  client.on("close", () => server.destroy());
  server.on("close", () => client.destroy());
}

function startupParameters(packet: Buffer): Record<string, string> {
  const parts = packet.subarray(8).toString("utf8").split("\0");
  const parameters: Record<string, string> = {};
  for (let index = 0; index + 1 < parts.length && parts[index] !== ""; index += 2) parameters[parts[index] as string] = parts[index + 1] as string;
  return parameters;
}

function authenticationCleartextPassword(): Buffer {
  const message = Buffer.alloc(9);
  message.write("R", 0);
  message.writeInt32BE(8, 1);
  message.writeInt32BE(3, 5);
  return message;
}

/** A FATAL ErrorResponse, as PostgreSQL sends it before closing a refused login. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, "utf8");
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
