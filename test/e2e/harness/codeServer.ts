import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, signalRunHolder } from '../../../src/runner/runLock';

/**
 * A real VS Code for end-to-end tests: code-server (VS Code 1.100 in a Node extension host,
 * webviews in a real browser), installed offline by `scripts/e2e/install-code-server.sh`.
 * Each server gets a fresh user-data and extensions folder, the packaged .vsix installed, and
 * is stopped by the process id we started (its own process group, so the extension host stops
 * with it). Runs outlive the window by design (their processes are detached), so stopping also
 * kills any run still going in the test's workspace (through its lock, like Cancel).
 */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const OUTPUT_DIR = path.join(REPO, 'test-output', 'e2e');
export const VSIX = process.env.MODEL_LAB_VSIX ?? path.join(REPO, 'model-lab.vsix');

export function codeServerDir(): string {
  return process.env.MODEL_LAB_CODE_SERVER_DIR ?? path.join(os.tmpdir(), 'model-lab-code-server');
}

/** Path of code-server's entry script, installing code-server first when it is missing. */
export function ensureCodeServer(): string {
  const dir = codeServerDir();
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(entry)) return entry;
  const script = path.join(REPO, 'scripts', 'e2e', 'install-code-server.sh');
  const r = spawnSync('bash', [script, dir], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(entry)) throw new Error(`installing code-server into ${dir} failed (exit ${r.status})`);
  return entry;
}

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  userDataDir: string;
  /** Merges into the user settings (VS Code picks up the change live). */
  updateSettings(patch: Record<string, unknown>): void;
  /**
   * Merges into the remote machine's settings, where code-server (like any remote window) reads
   * `machine`-scoped settings from; the user settings do not apply them to a remote.
   */
  updateMachineSettings(patch: Record<string, unknown>): void;
  /**
   * How many times an extension host has activated Model Lab so far (read from its log output
   * channel's files): the condition that a window (or a reloaded one) is ready for a test.
   */
  activations(): number;
  /** The "Model Lab" output channel of every extension host so far, oldest first (for failure messages). */
  modelLabLog(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  workspace: string;
  /** false: workspace trust on, the folder opens in Restricted Mode. */
  trusted: boolean;
  settings?: Record<string, unknown>;
  name: string;
}

const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.minimap.enabled': false,
  'files.exclude': { '**/.model-lab': false },
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  if (!existsSync(VSIX)) throw new Error(`${VSIX} not found: run \`npm run package\` first (npm run test:e2e does)`);
  const entry = ensureCodeServer();
  const root = mkdtempSync(path.join(os.tmpdir(), `model-lab-e2e-${opts.name}-`));
  const userDataDir = path.join(root, 'user');
  const extensionsDir = path.join(root, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(path.join(OUTPUT_DIR, 'logs'), { recursive: true });
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  let current: Record<string, unknown> = {};
  const updateSettings = (patch: Record<string, unknown>) => {
    current = { ...current, ...patch };
    writeFileSync(settingsFile, JSON.stringify(current, null, 2));
  };
  const machineFile = path.join(userDataDir, 'Machine', 'settings.json');
  let machine: Record<string, unknown> = {};
  const updateMachineSettings = (patch: Record<string, unknown>) => {
    machine = { ...machine, ...patch };
    mkdirSync(path.dirname(machineFile), { recursive: true });
    writeFileSync(machineFile, JSON.stringify(machine, null, 2));
  };
  updateSettings({
    ...BASE_SETTINGS,
    ...(opts.trusted
      ? { 'security.workspace.trust.enabled': false }
      : { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'always' }),
    ...opts.settings,
  });
  const install = spawnSync(process.execPath, [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', VSIX], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`installing ${VSIX} failed:\n${install.stdout}\n${install.stderr}`);

  const port = await freePort();
  const log = createWriteStream(path.join(OUTPUT_DIR, 'logs', `code-server-${opts.name}.log`));
  const child: ChildProcess = spawn(
    process.execPath,
    [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
      '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', opts.workspace],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pid = child.pid as number;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    await stopProcessGroup();
    killRunsUnder(opts.workspace);
    keepLogs(opts.name, userDataDir, opts.workspace);
    rmSync(root, { recursive: true, force: true });
  };
  const stopProcessGroup = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return;
    }
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!killed) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`code-server exited early (see ${log.path})`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not start within 60 s (see ${log.path})`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const isModelLabLog = (f: string) => path.basename(f) === 'Model Lab.log';
  const activations = () => countInFiles(path.join(userDataDir, 'logs'), isModelLabLog, 'Model Lab activated');
  const modelLabLog = () => filesUnder(path.join(userDataDir, 'logs'), isModelLabLog).sort().map((f) => readFileSync(f, 'utf8')).join('\n');
  return { url: `${url}?folder=${encodeURIComponent(opts.workspace)}`, port, pid, userDataDir, updateSettings, updateMachineSettings, activations, modelLabLog, stop };
}

/**
 * Keeps what explains a failure in test-output/e2e/logs/<name>/: the extension's log of each
 * extension host (the "Model Lab" output channel) and each run's `run.log`.
 */
function keepLogs(name: string, userDataDir: string, workspace: string): void {
  const dir = path.join(OUTPUT_DIR, 'logs', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of filesUnder(path.join(userDataDir, 'logs'), (f) => path.basename(f) === 'Model Lab.log')) {
    cpSync(f, path.join(dir, `${path.basename(path.dirname(path.dirname(f)))}-Model Lab.log`));
  }
  for (const f of filesUnder(workspace, (f) => path.basename(f) === 'run.log')) cpSync(f, path.join(dir, `${path.basename(path.dirname(f))}.log`));
}

/** Kills the runs still going under `dir` (a test that failed before cancelling its run). */
function killRunsUnder(dir: string): void {
  for (const f of filesUnder(dir, (f) => path.basename(f) === LOCK_FILE && path.basename(path.dirname(path.dirname(f))) === 'runs')) {
    signalRunHolder(path.dirname(f), 'SIGKILL');
  }
}

function countInFiles(dir: string, match: (file: string) => boolean, text: string): number {
  let n = 0;
  for (const f of filesUnder(dir, match)) n += readFileSync(f, 'utf8').split(text).length - 1;
  return n;
}

function filesUnder(dir: string, match: (file: string) => boolean): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)).filter(match);
  } catch {
    return [];
  }
}
