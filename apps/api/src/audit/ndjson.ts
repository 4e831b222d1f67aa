import { Logger } from '@nestjs/common';
import type { Response } from 'express';

const CHUNK_BYTES = 64 * 1024;
const logger = new Logger('History');

/**
 * Streams items as NDJSON with backpressure: lines are gathered into chunks of about 64 KiB, and when the socket
 * buffer is full the producer waits for `drain`, so memory stays constant whatever the length. A client that goes
 * away stops the producer (its read is cancelled). An error before the first byte is thrown (a problem+json answer);
 * after it, the response is cut off, so a client never takes a truncated stream for a complete one.
 */
export async function writeNdjson(
  response: Response,
  items: AsyncIterable<unknown>,
): Promise<void> {
  let closed = false;
  const onClose = () => {
    closed = true;
  };
  response.once('close', onClose);
  let chunk = '';
  const flush = async () => {
    if (!response.headersSent) {
      response.status(200);
      response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      response.setHeader('Cache-Control', 'no-store');
    }
    const text = chunk;
    chunk = '';
    if (!response.write(text) && !closed) await drained(response);
  };
  try {
    for await (const item of items) {
      if (closed) break;
      chunk += `${JSON.stringify(item)}\n`;
      if (chunk.length >= CHUNK_BYTES) await flush();
    }
    if (!closed) {
      if (chunk.length > 0 || !response.headersSent) await flush();
      response.end();
    }
  } catch (error) {
    if (!response.headersSent) throw error;
    logger.error(
      `history stream failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    response.destroy(error instanceof Error ? error : undefined);
  } finally {
    response.off('close', onClose);
  }
}

function drained(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}
