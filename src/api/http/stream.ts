/**
 * Streamed responses: text is written as it is produced, in chunks of about 64 KiB, waiting for
 * the socket to drain (backpressure), and writing stops as soon as the client goes away. Nothing
 * builds a whole body in memory.
 */
import type { Request, Response } from "express";

/** The client disconnected while the response was streaming. */
export class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection");
    this.name = "ClientGoneError";
  }
}

export class StreamWriter {
  private parts: string[] = [];
  private size = 0;
  private gone = false;

  constructor(
    private readonly res: Response,
    private readonly chunkBytes = 64 * 1024,
  ) {
    res.once("close", () => {
      if (!res.writableFinished) this.gone = true;
    });
  }

  /** Queues text; flushes when a chunk is full. Throws ClientGoneError once the client has left. */
  async write(text: string): Promise<void> {
    if (this.gone) throw new ClientGoneError();
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.chunkBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.gone) throw new ClientGoneError();
    if (this.size === 0) return;
    const chunk = this.parts.join("");
    this.parts = [];
    this.size = 0;
    if (!this.res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off("drain", done);
          this.res.off("close", done);
          resolve();
        };
        this.res.once("drain", done);
        this.res.once("close", done);
      });
    }
    if (this.gone) throw new ClientGoneError();
  }

  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.res.end(resolve));
  }
}

/**
 * Runs a streaming body after the status and headers are set. A failure before the first byte goes
 * to the error handler (a normal JSON error); after it, the connection is cut so the client sees a
 * truncated body (which export verification reports) instead of a body that looks complete.
 */
export async function streamBody(req: Request, res: Response, body: (out: StreamWriter) => Promise<void>): Promise<void> {
  const out = new StreamWriter(res);
  try {
    await body(out);
    await out.end();
  } catch (err) {
    if (err instanceof ClientGoneError) {
      req.log?.info("client disconnected during a streamed response");
      return;
    }
    if (!res.headersSent) {
      res.removeHeader("content-disposition"); // the error handler answers in JSON, not as the file
      throw err;
    }
    req.log?.error({ err }, "streamed response failed after it started; connection cut");
    res.destroy(err as Error);
  }
}
