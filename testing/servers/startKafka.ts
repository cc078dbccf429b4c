/**
 * A real single-node Kafka 4.x broker in KRaft mode (broker and controller in one JVM) on
 * free loopback ports, its log dir a temp dir. The jars come from Maven Central through
 * .ci/install/kafka.sh into `${CHAT_CACHE_DIR:-~/.cache/chat-backend}/kafka-<version>/libs`
 * (the version is the one pinned in .ci/install/kafka-pom.xml); `CHAT_KAFKA_LIBS` may point
 * at another folder of jars. Needs Java 17+ (`java` on PATH, or `$JAVA_HOME/bin/java`).
 *
 * Start-up is what `kafka-storage.sh format` + `kafka-server-start.sh` do, without the
 * scripts: `kafka.tools.StorageTool format` on a generated server.properties, then
 * `kafka.Kafka`. Typically 5-10 s on this machine's 2 cores. `restart()` skips the format.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from './freePort.ts';
import {
  cacheDir,
  findExecutable,
  launcher,
  managedServer,
  startOnFreePorts,
  spawnServer,
  tempDir,
  waitUntilReady,
  type RestartableServer,
} from './serverProcess.ts';

/**
 * `kill()` is SIGKILL (a crash). `restart()` starts the broker again on the same ports with
 * the same log dir and cluster id, without formatting it again: it comes back with its
 * topics, records and committed consumer-group offsets.
 */
export type KafkaServer = RestartableServer & {
  /** For kafkajs `brokers`. (`url` is the same, as a bootstrap.servers string.) */
  brokers: string[];
  host: string;
  port: number;
};

const pomPath = fileURLToPath(new URL('../../.ci/install/kafka-pom.xml', import.meta.url));

/** The Kafka version pinned in .ci/install/kafka-pom.xml, which names the cache folder. */
const pinnedKafkaVersion = (): string | null => {
  try {
    return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pomPath, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
};

const findJava = (): string | null =>
  findExecutable('java', process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, 'bin')] : []);

const findLibs = (): string | null => {
  const fromEnv = process.env.CHAT_KAFKA_LIBS;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const version = pinnedKafkaVersion();
  if (!version) return null;
  const dir = join(cacheDir(), `kafka-${version}`);
  // .complete is written by kafka.sh once every jar is in place.
  return existsSync(join(dir, '.complete')) ? join(dir, 'libs') : null;
};

/** The jars' folder, when both it and a java are there. */
const findKafka = (): string | null => (findJava() !== null ? findLibs() : null);

/** A cluster id as `kafka-storage random-uuid` makes one (Uuid.randomUuid: 16 random bytes, base64url). */
const randomClusterId = (): string => {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka's own generator re-rolls these too (they read as CLI flags)
  }
};

const serverProperties = (host: string, port: number, controllerPort: number, logDir: string) =>
  [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=true',
    // One node: every internal topic has one replica. One partition for the offsets and
    // transaction topics (defaults 50): the first consumer group then joins in well under a second.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // restart() after a kill -9: the controller holds the dead broker's registration until its
    // session expires (default 9 s), and only then lets the new incarnation register (retried
    // every heartbeat interval, default 2 s). Shorter, a restart takes ~1-2 s more than a start
    // instead of ~10 s; a live broker is still fenced only after 6 missed heartbeats.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=500',
    '',
  ].join('\n');

// Console only, WARN and up, plus the broker's start and stop lines.
const log4j2Properties = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.raft.name = kafka.server.KafkaRaftServer',
  'logger.raft.level = INFO',
  '',
].join('\n');

const jvmOptions = (configDir: string) => [
  '-Xmx512m',
  '-Xms128m',
  // Start-up speed over peak throughput: test brokers live for seconds.
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${join(configDir, 'log4j2.properties')}`,
];

/**
 * kafkajs admin: true once the broker answers a metadata request, lists itself, and has a
 * group coordinator (describeGroups finds it, which creates __consumer_offsets): so a test's
 * first consumer group joins at once instead of logging "group coordinator is not available".
 */
const answers = async (brokers: string[]): Promise<boolean> => {
  const kafka = new Kafka({
    clientId: 'chat-test-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return false;
    await admin.describeGroups(['chat-test-probe']);
    return true;
  } finally {
    await admin.disconnect().catch(() => {});
  }
};

const start = async (libs: string): Promise<KafkaServer> => {
  const java = findJava();
  if (java === null) throw new Error('java disappeared from PATH');
  const classpath = `${libs}/*`;
  const host = '127.0.0.1';
  return startOnFreePorts(async () => {
    const [port, controllerPort] = (await freePorts(2, host)) as [number, number];
    const temp = tempDir('kafka');
    const logDir = join(temp.dir, 'logs');
    const propertiesFile = join(temp.dir, 'server.properties');
    writeFileSync(propertiesFile, serverProperties(host, port, controllerPort, logDir));
    writeFileSync(join(temp.dir, 'log4j2.properties'), log4j2Properties);
    // Kept for the broker's whole life: a restart reuses the log dir, so the same cluster.
    const clusterId = randomClusterId();
    const brokers = [`${host}:${port}`];
    const what = `kafka broker on ${brokers[0]}`;

    const server = managedServer({
      what,
      host,
      ports: [port, controllerPort],
      temp,
      // Format once: a restart finds meta.properties there and keeps the log dir as it is
      // (topics, records, committed offsets, the KRaft metadata log).
      async prepare() {
        if (existsSync(join(logDir, 'meta.properties'))) return;
        try {
          await promisify(execFile)(
            java,
            [...jvmOptions(temp.dir), '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile],
            { cwd: temp.dir, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
          );
        } catch (error) {
          const e = error as Error & { stdout?: string; stderr?: string };
          throw new Error(`kafka-storage format failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
        }
      },
      spawn: () => spawnServer(java, [...jvmOptions(temp.dir), '-cp', classpath, 'kafka.Kafka', propertiesFile], { cwd: temp.dir }),
      ready: (proc) => waitUntilReady(what, proc, () => answers(brokers), { timeoutMs: 45_000, intervalMs: 250 }),
      // kill(): a crash; the restart then recovers the logs (unclean shutdown), which is quick here.
      kill: 'SIGKILL',
      // stop(): SIGTERM is a controlled shutdown (a second or two); SIGKILL after 10 s. The data goes anyway.
      stopGraceMs: 10_000,
    });
    const { stop, kill, restart, output } = server;
    return { server, result: { url: brokers.join(','), brokers, host, port, stop, kill, restart, output } };
  });
};

/**
 * Starts a single-node KRaft Kafka broker; null (or, under CHAT_REQUIRE_SERVERS=1, an
 * error) when java or the cached jars are missing.
 */
export const startKafka = launcher(findKafka, 'bash .ci/install/kafka.sh (and a Java 17+ on PATH)', start, 'Kafka (the broker jars, or java)');
