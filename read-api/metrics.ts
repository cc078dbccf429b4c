import client from 'prom-client';
import type { FastifyInstance } from 'fastify';

/** Prometheus metrics: requests, latencies, appends, projection lag. One registry per server. */
export const createMetrics = () => {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'chat_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'chat_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const appended = new client.Counter({ name: 'chat_events_appended_total', help: 'Events appended to the store', registers: [registry] });
  const lag = new client.Gauge({ name: 'chat_projection_lag_events', help: 'Log positions between the head and a projection', labelNames: ['projection'], registers: [registry] });
  return {
    registry,
    appended,
    lag,
    /** Records every request's status and latency under its route pattern (not the raw URL). */
    instrument(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unknown';
        requests.inc({ method: request.method, route, status: reply.statusCode });
        latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      });
    },
  };
};

export type Metrics = ReturnType<typeof createMetrics>;
