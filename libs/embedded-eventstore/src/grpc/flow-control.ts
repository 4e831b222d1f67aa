import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

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
