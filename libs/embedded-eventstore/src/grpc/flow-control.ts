import type { Http2Server, Http2Session } from 'node:http2';
import { Writable } from 'node:stream';
import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';

// HTTP/2's default 64 KiB windows let a client have about one 50 KB append in flight on the single
// BatchAppend stream the official client multiplexes all appends over, which leaves both sides idle
// waiting for WINDOW_UPDATEs. grpc-js has no server option for the receive windows, so they are
// widened through its (pinned, 1.14.x) internals; if those ever change this silently does nothing.
const STREAM_WINDOW = 8 * 1024 * 1024;
const CONNECTION_WINDOW = 32 * 1024 * 1024;

interface GrpcServerInternals {
  commonServerOptions?: { settings?: Record<string, unknown> };
  http2Servers?: Map<Http2Server, unknown>;
}

export function widenReceiveWindowsBeforeBind(server: Server): void {
  const internals = server as unknown as GrpcServerInternals;
  if (!internals.commonServerOptions) return;
  internals.commonServerOptions.settings = {
    ...internals.commonServerOptions.settings,
    initialWindowSize: STREAM_WINDOW,
  };
}

export function widenReceiveWindowsAfterBind(server: Server): void {
  const internals = server as unknown as GrpcServerInternals;
  for (const http2Server of internals.http2Servers?.keys() ?? []) {
    http2Server.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // A session closed before its settings were exchanged: nothing to widen.
      }
    });
  }
}

/**
 * grpc-js hands a server stream's messages to HTTP/2 one at a time, each after the previous one's write completed:
 * every event of a read became a write, a DATA frame and a native call of its own (most of the server's CPU on a
 * long read). Every handler of a service wrapped here gets, for a call that streams answers (reads, subscriptions,
 * batch appends, persistent subscriptions), a `_writev` that passes the messages queued meanwhile on together, and
 * HTTP/2 packs them into full frames. The messages on the wire are the same; only their framing into DATA frames
 * changes. The call counts the whole batch as buffered until the last one is written, so `writableLength` and
 * 'drain' work as before. (grpc-js 1.14 never completes a message's write with an error: a message it cannot send
 * ends the call with a status instead, and that write never completes.)
 */
export function coalescingWrites(
  handlers: UntypedServiceImplementation,
): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (call: unknown, callback?: unknown) => {
      if (call instanceof Writable) coalesceWrites(call);
      return (handler as (...args: unknown[]) => unknown)(call, callback);
    };
  }
  return wrapped;
}

function coalesceWrites(call: Writable): void {
  call._writev = (chunks, callback) => {
    let pending = chunks.length;
    const written = () => {
      pending -= 1;
      if (pending === 0) callback();
    };
    for (const { chunk, encoding } of chunks) call._write(chunk, encoding, written);
  };
}
