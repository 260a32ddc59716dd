import * as path from 'node:path';
import { readEvents, readRunRecord } from '../../runner/runStore';
import type { RunManager } from '../runs/runManager';
import { timelineRunFromEvents, type TimelineRun } from '../../panels/timeline/viewModel';

/**
 * Loads a run's timeline: from the live event list when this window is running it, else from
 * its folder in the run store. Undefined when the folder is not (or no longer) a run.
 */
export async function loadTimelineRun(runDir: string, runs: RunManager): Promise<TimelineRun | undefined> {
  const live = runs.get(runDir);
  if (live) return timelineRunFromEvents({ runId: live.runId, runDir: live.runDir, policy: live.policy }, live.events, 'running');
  const record = await readRunRecord(runDir);
  if (!record) return undefined;
  const events = await readEvents(runDir);
  return timelineRunFromEvents(
    { runId: record.runId, runDir: path.resolve(runDir), experiment: record.experiment, policy: record.policy },
    events,
    record.status,
  );
}
