import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { JobSink } from './job';
import * as store from './runStore';

/**
 * The pause gate, at an epoch boundary right after a checkpoint (train runs, and the session
 * jobs that count epochs): while the run folder has a `pause` file (Pause Run in VS Code, or
 * `touch RUN_DIR/pause`), the run waits, its record says `paused`, and a stop request still
 * ends it at once.
 */
export async function waitWhilePaused(runDir: string, shouldStop: () => boolean, sink: JobSink): Promise<void> {
  const pauseFile = path.join(runDir, store.PAUSE_FILE);
  if (!existsSync(pauseFile) || shouldStop()) return;
  const { epochsDone } = await store.updateRunRecord(runDir, { paused: true });
  sink.log('info', `paused after epoch ${epochsDone} (continue: remove ${pauseFile})`);
  while (existsSync(pauseFile) && !shouldStop()) await new Promise((r) => setTimeout(r, 200));
  await store.updateRunRecord(runDir, { paused: undefined });
  if (!shouldStop()) sink.log('info', 'continuing');
}

/** Whether a pause was asked for (the run's folder has a `pause` file). */
export function pauseRequested(runDir: string): boolean {
  return existsSync(path.join(runDir, store.PAUSE_FILE));
}
