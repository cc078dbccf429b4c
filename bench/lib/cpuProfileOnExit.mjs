// Preloaded into a server child (NODE_OPTIONS="--import <this file>", since --cpu-prof is
// not allowed in NODE_OPTIONS): V8 CPU profile of the whole process life, written to
// $BENCH_CPU_PROFILE when the process exits. Same-thread inspector calls are
// synchronous, so the 'exit' handler can stop the profiler and write the file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const path = process.env.BENCH_CPU_PROFILE;
if (path) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROFILE_INTERVAL_US ?? 500) });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path, JSON.stringify(result.profile));
    });
  });
}
