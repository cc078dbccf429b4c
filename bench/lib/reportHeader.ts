import type { MachineInfo } from './machine.ts';

/** What every scenario's JSON report starts with. */
export type ReportHeader<Scenario extends string, Settings = Record<string, unknown>> = {
  scenario: Scenario;
  started_at: string;
  took_s: number;
  machine: MachineInfo;
  settings: Settings;
};
