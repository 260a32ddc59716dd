import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './codeServer';

/**
 * A throwaway copy of the project's `examples/` folder (runs write `.model-lab/` into it, so
 * the repository stays clean), with the fast e2e fixtures placed next to the digits data.
 */
export function makeExamplesWorkspace(name: string): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), `model-lab-ws-${name}-`));
  const examples = path.join(REPO, 'examples');
  cpSync(examples, ws, { recursive: true, filter: (src) => !src.split(path.sep).includes('.model-lab') });
  const fixtures = path.join(__dirname, '..', 'fixtures');
  for (const f of readdirSync(fixtures)) cpSync(path.join(fixtures, f), path.join(ws, 'digits', f));
  return ws;
}

/**
 * Deletes a test workspace, after killing what still runs in it: a run or sweep a failed test
 * left going (they are detached from the editor by design) would keep writing into the folder
 * and take CPU from every test after it. Such processes name the workspace in their arguments.
 */
export function removeWorkspace(workspace: string): void {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    // no /proc: nothing to look through
  }
  for (const pid of pids) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (cmdline.includes(workspace)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
  }
  rmSync(workspace, { recursive: true, force: true, maxRetries: 5 });
}
