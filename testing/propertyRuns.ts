/** fast-check runs per property: at least 1,000 in CI (the acceptance bar); FC_RUNS overrides locally. */
export const propertyRuns = Number(process.env.FC_RUNS ?? 1000);
