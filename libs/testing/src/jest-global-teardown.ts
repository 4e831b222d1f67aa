interface RunningServer {
  stop(): Promise<void>;
}

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __embeddedServers?: RunningServer[] }).__embeddedServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
}
