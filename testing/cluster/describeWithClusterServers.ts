import { describeWithServer } from '../servers/serverOrSkip.ts';
import { startFerretDb, type FerretDbServer } from '../servers/startFerretDb.ts';
import { startKafka, type KafkaServer } from '../servers/startKafka.ts';
import { startRedis, type RedisServer } from '../servers/startRedis.ts';

export type ClusterServerHandles = { redis: RedisServer; kafka: KafkaServer; mongo: FerretDbServer };

/** A suite on real Redis, Kafka and FerretDB (each skipped loudly when absent, failing under CHAT_REQUIRE_SERVERS=1). */
export const describeWithClusterServers = (body: (servers: () => ClusterServerHandles) => void) =>
  describeWithServer('redis', startRedis, (redis) =>
    describeWithServer('kafka', startKafka, (kafka) =>
      describeWithServer('ferretdb', startFerretDb, (mongo) => body(() => ({ redis: redis(), kafka: kafka(), mongo: mongo() }))),
    { startTimeoutMs: 90_000 }),
  );

export const clusterServersOf = ({ redis, kafka, mongo }: ClusterServerHandles) => ({ redisUrl: redis.url, kafkaBrokers: kafka.brokers, mongoUrl: mongo.url });
