import type { FastifyInstance } from 'fastify';

/**
 * `app.close()` closes the connections idle at that moment and waits for the rest. node:http
 * counts a connection that was opened but never sent a request (a browser's preconnect, a
 * half-written request) as busy until its headers timeout, 60 s, and leaves a keep-alive
 * connection open after its last answer. So: connections are closed as soon as they fall idle,
 * and past the grace whatever is still open is cut.
 */
export const closeWithin = async (app: FastifyInstance, graceMs: number) => {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
};
