import http from 'node:http';

/**
 * GETs over a pool of keep-alive connections (node:http: cheaper per request than
 * fetch, so the load generator stays light). Requests beyond `maxSockets` queue in the
 * agent; an open-loop caller still charges that wait to the request.
 */
export const createHttpGetter = (baseUrl: string, { maxSockets = 64, timeoutMs = 30_000 } = {}) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' });
  const { hostname, port } = new URL(baseUrl);
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;

  const get = (path: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> =>
    new Promise((resolve, reject) => {
      const request = http.request({ agent, host, port, path, method: 'GET', headers }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes }));
        response.on('error', reject);
      });
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end();
    });

  return { get, close: () => agent.destroy() };
};
