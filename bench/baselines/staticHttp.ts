/**
 * The history scenario's floor: a bare node:http server that answers every request with
 * the same bytes from memory (a real history page of the project's). No auth, no
 * routing, no store: what this machine and the load generator give at best.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const startStaticHttp = async (body: Buffer) => {
  const server = createServer({ keepAliveTimeout: 72_000 }, (request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
