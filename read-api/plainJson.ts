/**
 * For the hot read routes: the response is built by our own queries in the documented
 * shape, so it is sent with JSON.stringify instead of being checked by zod again (a
 * tenth of a history read). The schema still documents the route in /openapi.json.
 */
export const plainJson = () => (data: unknown) => JSON.stringify(data);
