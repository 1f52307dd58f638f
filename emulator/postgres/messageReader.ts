import type net from "node:net";

/** Reads whole PostgreSQL protocol messages off a socket, keeping what arrives beyond them for the splice that follows. */
export class MessageReader {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly socket: net.Socket) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
  }

  /** A startup-phase packet (no type byte): Int32 length including itself, then the body. */
  async startupPacket(): Promise<Buffer> {
    const length = (await this.peek(4)).readInt32BE(0);
    return this.take(length);
  }

  /** A typed message: its type, its body, and its raw bytes (to forward as they are). */
  async message(): Promise<{ type: string; body: Buffer; raw: Buffer }> {
    const length = (await this.peek(5)).readInt32BE(1);
    const raw = await this.take(1 + length);
    return { type: String.fromCharCode(raw[0] ?? 0), body: raw.subarray(5), raw };
  }

  /** Stops reading and hands back whatever arrived unread. */
  release(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  private async peek(bytes: number): Promise<Buffer> {
    while (this.buffered.length < bytes) {
      if (this.ended) throw new Error("the connection closed");
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    return this.buffered;
  }

  private async take(bytes: number): Promise<Buffer> {
    await this.peek(bytes);
    const taken = this.buffered.subarray(0, bytes);
    this.buffered = this.buffered.subarray(bytes);
    return taken;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}
