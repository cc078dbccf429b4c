import { ConfigError, loadConfig } from './config.ts';
import { startProductionNode } from './production/startProductionNode.ts';
import { startServer } from './startServer.ts';

/** `npm start`: the embedded profile with protocol section 0's defaults. */
const main = async () => {
  const config = loadConfig();
  const server = config.profile === 'production' ? await startProductionNode(config) : await startServer(config);
  console.log(
    config.profile === 'production'
      ? `chat server (production, ${config.nodeId}: ${config.roles.join(', ')}) listening on ${server.url}`
      : `chat server (embedded) listening on ${server.url}  data: ${config.dataDir}`,
  );
  const shutdown = (signal: string) => {
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error('shutdown failed', e);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
};

main().catch((e: unknown) => {
  // Configuration errors are one clear line, not a stack trace.
  if (e instanceof ConfigError) console.error(`chat server: ${e.message}`);
  else if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE') console.error(`chat server: ${e.message} (set PORT)`);
  else console.error('chat server failed to start:', e);
  process.exit(1);
});
