// Preloaded into masters and workers by `npm run bench -- --profile DIR`
// (NODE_OPTIONS=--import=<this file>, since Node refuses --cpu-prof in
// NODE_OPTIONS): profiles the whole process with the inspector and writes
// DIR/<program>-<pid>.cpuprofile when it exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join } from 'node:path';

const dir = process.env.DIST_EXEC_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  const program = `${basename(dirname(dirname(process.argv[1] ?? 'node')))}-${basename(process.argv[1] ?? 'node', '.js')}`;
  process.once('exit', () => {
    // The main-thread session answers synchronously, so this completes inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `${program}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
