import net from "node:net";

/** Resolves to `preferred` when it can be bound on 127.0.0.1, else to a port the OS picks. */
export async function freePort(preferred = 0): Promise<number> {
  try {
    return await bindAndRelease(preferred);
  } catch (error) {
    if (preferred === 0) throw error;
    return bindAndRelease(0);
  }
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}
