// A TCP proxy on a free loopback port, in place of a load balancer or of the
// network between a client and a server. Each new connection goes to the
// current `target` port on 127.0.0.1: retarget(port) sends the next ones
// elsewhere (a socket.io-client that reconnects comes back on another node);
// cut() destroys every open connection and, while `blocked` is true, new ones
// are closed at once (a network drop the client has to recover from).
import net from "node:net";

export async function startTcpProxy(targetPort) {
  const open = new Set();
  const p = { target: targetPort, blocked: false, connections: 0 };
  const server = net.createServer((client) => {
    if (p.blocked) return client.destroy();
    p.connections++;
    const upstream = net.connect(p.target, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  p.port = server.address().port;
  p.url = `http://127.0.0.1:${p.port}`;
  p.retarget = (port) => (p.target = port);
  p.cut = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  p.close = () => (p.cut(), new Promise((r) => server.close(r)));
  return p;
}
