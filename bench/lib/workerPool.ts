import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Load generators in child processes, so they don't share the server's event loop.
 * The parent sends each worker a job and gets back progress reports and one result;
 * the same workers run every phase of a scenario. Workers are TypeScript, run by tsx.
 */
type ToWorker<Job> = { type: 'job'; id: number; job: Job } | { type: 'exit' };
type FromWorker<Progress, Result> =
  | { type: 'ready' }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'result'; id: number; result: Result }
  | { type: 'failed'; id: number; error: string };

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type WorkerPool<Job, Progress, Result> = {
  size: number;
  pids: number[];
  /** Runs one job per worker (jobs[i] on worker i); resolves with their results in order. */
  run(jobs: readonly Job[], onProgress?: (worker: number, progress: Progress) => void): Promise<Result[]>;
  close(): Promise<void>;
};

export const startWorkerPool = async <Job, Progress, Result>(modulePath: string, size: number): Promise<WorkerPool<Job, Progress, Result>> => {
  const children: ChildProcess[] = [];
  let nextId = 0;
  const ready = (child: ChildProcess) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker<Progress, Result>) => {
        if (m.type !== 'ready') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null) => reject(new Error(`load worker exited (${code}) before it was ready`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  for (let i = 0; i < size; i++) {
    children.push(fork(modulePath, [], { execArgv: ['--import', tsxLoader], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }));
  }
  try {
    await Promise.all(children.map(ready));
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }

  const runOne = (child: ChildProcess, worker: number, job: Job, onProgress?: (worker: number, progress: Progress) => void) =>
    new Promise<Result>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (m: FromWorker<Progress, Result>) => {
        if (m.type === 'ready' || m.id !== id) return;
        if (m.type === 'progress') return onProgress?.(worker, m.progress);
        cleanup();
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(`load worker ${worker} failed: ${m.error}`));
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`load worker ${worker} exited (${code}) during a job`));
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'job', id, job } satisfies ToWorker<Job>);
    });

  return {
    size,
    pids: children.map((c) => c.pid ?? -1),
    run: (jobs, onProgress) => {
      if (jobs.length !== size) return Promise.reject(new RangeError(`${jobs.length} jobs for ${size} workers`));
      return Promise.all(jobs.map((job, i) => runOne(children[i]!, i, job, onProgress)));
    },
    close: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
              child.once('exit', () => (clearTimeout(timer), resolve()));
              child.send({ type: 'exit' } satisfies ToWorker<Job>);
            }),
        ),
      );
    },
  };
};

/** The worker side: answer each job with `handle`, reporting progress on the way; exit when told. */
export const serveWorkerJobs = <Job, Progress, Result>(handle: (job: Job, progress: (p: Progress) => void) => Promise<Result>): void => {
  if (!process.send) throw new Error('a load worker must be started by startWorkerPool (no IPC channel)');
  const send = (m: FromWorker<Progress, Result>) => process.send!(m);
  process.on('message', (m: ToWorker<Job>) => {
    if (m.type === 'exit') {
      process.disconnect();
      return;
    }
    handle(m.job, (progress) => send({ type: 'progress', id: m.id, progress })).then(
      (result) => send({ type: 'result', id: m.id, result }),
      (error: unknown) => send({ type: 'failed', id: m.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  // The parent going away (crash, Ctrl-C) ends the worker too.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
};
