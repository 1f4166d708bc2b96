// The body of the thread that reads config files for reloads (see load-off-thread.ts): one file
// per message, answered in the order asked.
import { parentPort } from 'node:worker_threads';
import { ConfigError, loadConfigFile } from './load.ts';
import type { LoadAnswer, LoadQuestion } from './load-off-thread.ts';

parentPort!.on('message', ({ id, file, env }: LoadQuestion) => {
  let answer: LoadAnswer;
  try {
    answer = { id, config: loadConfigFile(file, env) };
  } catch (err) {
    answer = err instanceof ConfigError ? { id, problems: err.problems } : { id, failed: (err as Error).message };
  }
  parentPort!.postMessage(answer);
});
