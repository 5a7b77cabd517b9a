// Reading a JSON request body for the loopback HTTP servers (the embedded model endpoint and the MCP
// server): bounded in size, refused with a status and a message that says what is wrong.
import type * as http from 'node:http';

/** A request body that cannot be taken: too large (413) or not JSON (400). */
export class RequestBodyError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

/** The body parsed as JSON (undefined when empty); a body over `maxBytes` is cut off and refused. */
export function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new RequestBodyError(`request body larger than ${maxBytes} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        reject(new RequestBodyError('request body is not valid JSON', 400));
      }
    });
    req.on('error', reject);
  });
}
