import os from 'node:os';

/** What a figure was measured on: results from different machines are not comparable. */
export const machineInfo = () => ({
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  available_parallelism: os.availableParallelism(),
  memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews every figure. */
  load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
});

export type MachineInfo = ReturnType<typeof machineInfo>;
