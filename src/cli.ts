/**
 * `model-lab`: everything the extension does, as a command-line program.
 * Exit codes: 0 success, 2 user error (one line naming the problem), 1 internal error,
 * 130 stopped by Ctrl-C/SIGTERM (the run is resumable).
 */
import { isUserError } from './core/errors';
import { stripControls } from './core/util/untrustedText';
import { atomicWritesSettled } from './core/util/atomicFile';
import type { CliIO, Subcommand } from './cli/io';
import { runCommand, RUN_USAGE } from './cli/run';
import { sweepCommand, SWEEP_USAGE } from './cli/sweep';
import { rewardsCommand } from './cli/rewards';
import { extractCommand } from './cli/extract';
import { exitAfterFlush } from './cli/exit';
import { PROVE_USAGE, proveCommand, verifyCommand } from './cli/prove';
import { RUNS_USAGE, runsCommand } from './cli/runs';

const USAGE = `usage:
  ${RUN_USAGE.split('\n').join('\n  ')}
  ${SWEEP_USAGE.split('\n').join('\n  ')}
  model-lab rewards distance FILE [--canon C] [--norm N] [--metric M] [--json]
  model-lab rewards regret-correlation [--mdps 128] [--pairs 8] [--steps 16] [--seed 42] [--regret exact|monte-carlo] [--json]
  model-lab extract --file FILE|- [--schema FILE] [--provider builtin] [--json]
  model-lab extract eval --data FILE --format conll04 [--json]
  ${RUNS_USAGE.split('\n').join('\n  ')}
  ${PROVE_USAGE.split('\n').join('\n  ')}`;

const commands: Record<string, Subcommand> = {
  run: runCommand,
  sweep: sweepCommand,
  rewards: rewardsCommand,
  extract: extractCommand,
  prove: proveCommand,
  verify: verifyCommand,
  runs: runsCommand,
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`model-lab: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    // Messages can quote a server's answer or a file: no terminal control sequences get through.
    if (isUserError(e)) {
      io.stderr(`model-lab: ${stripControls(e.format())}\n`);
      return 2;
    }
    io.stderr(`model-lab: internal error: ${stripControls(e instanceof Error ? e.stack ?? e.message : String(e))}\n`);
    return 1;
  }
}

/**
 * Runs the CLI in this process: signals, exit code. Called when this file is the entry point
 * (`node dist/cli.js`) and by `bin/model-lab.js` (`npx model-lab`,
 * whose path is npm's `.bin/model-lab` link, so the entry cannot be recognised by file name).
 */
export function runAsProgram(): void {
  const controller = new AbortController();
  let interrupts = 0;
  let holdExit = false;
  // The first Ctrl-C/SIGTERM asks the command to stop. A repeated one quits at once, except
  // while a file is being written or a command that stops promptly is finishing its writes
  // (a run's checkpoint and record): those are never cut short.
  const stop = () => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      process.stderr.write(holdExit ? '\nstopping at this step; the run stays resumable\n' : '\nstopping (Ctrl-C again to quit now)\n');
      return;
    }
    if (holdExit) {
      if (interrupts === 2) process.stderr.write('still stopping: finishing the checkpoint and run record, which is never cut short (Ctrl-\\ kills without saving)\n');
      return;
    }
    void atomicWritesSettled().then(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const io: CliIO = {
    holdExitUntilDone: () => {
      holdExit = true;
    },
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
    cwd: process.cwd(),
    stdin: process.stdin,
  };
  main(process.argv.slice(2), io).then(
    // tfjs may keep handles open: leave as soon as the output is out.
    (code) => exitAfterFlush(code),
    (e) => {
      process.stderr.write(`model-lab: internal error: ${String(e)}\n`);
      return exitAfterFlush(1);
    },
  );
}

if (require.main === module) runAsProgram();
