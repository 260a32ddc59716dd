import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
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
