import { logLevel } from 'kafkajs';
import type { KafkaBusOptions } from './kafkaBus.ts';

/** Test settings: a quick heartbeat (rebalances are noticed within a third of a second), short fetch waits, quiet logs. */
export const testKafkaBusOptions = (brokers: string[]): KafkaBusOptions => ({
  brokers,
  clientId: 'chat-bus-test',
  logLevel: process.env.CHAT_KAFKA_LOG === '1' ? logLevel.INFO : logLevel.NOTHING,
  consumer: { sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, initialRetryTime: 100 },
  onError: () => {},
});
