import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isUserError } from '../../core/errors';
import { listProofs } from '../../core/zk/proofs';
import { COMMITMENT_FILE } from '../../core/zk/scheme';
import { JobCancelledError, JobFailedError, JobProcess } from '../../runner/jobProcess';
import { isTrainRun, readRunRecord, type RunRecord } from '../../runner/runStore';

export interface ProveDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Redraws the Runs view (its "proven ≥" label) once a proof exists. */
  refresh(): void;
}

/** A completed train run that committed its test predictions: one a proof can be made for. */
export function canProve(r: RunRecord): boolean {
  return r.status === 'completed' && isTrainRun(r) && existsSync(path.join(r.runDir, COMMITMENT_FILE));
}

/** The Runs view's label for a run's proofs: the highest accuracy proven, if any. */
export function provenLabel(r: RunRecord): string | undefined {
  if (r.status !== 'completed' || !isTrainRun(r)) return undefined;
  const best = listProofs(r.runDir)[0];
  return best ? `proven ≥ ${best.claim.min}` : undefined;
}

/**
 * Prove Result...: a zero-knowledge proof that a run's committed test predictions reach the
 * accuracy the user claims (`core/zk/prove.ts`), made in a runner process (o1js takes tens of
 * seconds of CPU), with a cancellable progress notification. The proof folder goes under the
 * run's `proofs/`; anyone can check it with `model-lab verify` without the run's data.
 */
export function registerProveResult(deps: ProveDeps, runDirOf: (arg: unknown) => string | undefined): vscode.Disposable {
  let jobs: JobProcess | undefined;
  const command = vscode.commands.registerCommand('modelLab.proveResult', async (arg?: unknown) => {
    const runDir = runDirOf(arg);
    const record = runDir ? await readRunRecord(runDir) : undefined;
    if (!runDir || !record) return;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Model Lab: proofs are made in trusted workspaces only (they read the run folder and run the prover).');
      return;
    }
    if (!canProve(record)) {
      void vscode.window.showInformationMessage('Model Lab: only completed train runs that committed their test predictions (commitment.json) can be proven.');
      return;
    }
    const committed = committedAccuracy(runDir);
    const min = await vscode.window.showInputBox({
      title: `Prove the result of ${record.experiment} · ${record.policy}`,
      prompt: `Claim: test accuracy is at least… (the committed predictions are ${committed !== undefined ? `${(committed * 100).toFixed(2)}% correct` : 'in commitment.json'}; the proof reveals neither them nor the labels)`,
      value: committed !== undefined ? String(Math.floor(committed * 100) / 100) : '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const x = Number(v.trim());
        if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) return 'a number from 0 to 1, e.g. 0.85';
        if (committed !== undefined && x > committed) return `a false claim cannot be proven: the committed accuracy is ${committed.toFixed(4)}`;
        return undefined;
      },
    });
    if (min === undefined) return;
    jobs ??= new JobProcess({
      label: 'proof',
      workerScript: vscode.Uri.joinPath(deps.extensionUri, 'dist', 'runWorker.js').fsPath,
      onLog: (level, line) => deps.log[level](line),
      // o1js proves in one synchronous stretch: a cancel ends its process.
      graceMs: 1000,
      idleMs: 60_000,
    });
    const started = Date.now();
    const abort = new AbortController();
    deps.log.info(`[${record.runId}] proving accuracy >= ${min}`);
    try {
      const { proofDir, claim } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Model Lab: proving accuracy ≥ ${min}`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            return await jobs!.run({ kind: 'prove', runDir, min: Number(min) }, { signal: abort.signal, onProgress: (p) => progress.report({ message: p.message }) });
          } finally {
            sub.dispose();
          }
        },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      deps.log.info(`[${record.runId}] proved accuracy >= ${claim.min} (${claim.minCorrect} of ${claim.n}) in ${seconds} s: ${proofDir}`);
      deps.refresh();
      const action = await vscode.window.showInformationMessage(
        `Model Lab: proved accuracy ≥ ${claim.min} (${claim.minCorrect} of ${claim.n} test examples) in ${seconds} s. Anyone can check it with \`model-lab verify\`.`,
        'Open Claim',
      );
      if (action) await vscode.window.showTextDocument(vscode.Uri.file(path.join(proofDir, 'claim.json')), { preview: true });
    } catch (e) {
      if (e instanceof JobCancelledError || abort.signal.aborted) {
        deps.log.info(`[${record.runId}] proof cancelled`);
        return;
      }
      const message = e instanceof JobFailedError || isUserError(e) ? e.message : e instanceof Error ? e.message : String(e);
      deps.log.error(`[${record.runId}] proof failed: ${message}`);
      void vscode.window.showErrorMessage(`Model Lab: could not prove the result: ${message}`);
    }
  });
  return vscode.Disposable.from(command, { dispose: () => jobs?.dispose() });
}

/** The accuracy the run committed to (public in commitment.json), to propose and bound the claim. */
function committedAccuracy(runDir: string): number | undefined {
  try {
    const c = JSON.parse(readFileSync(path.join(runDir, COMMITMENT_FILE), 'utf8')) as { accuracy?: unknown };
    return typeof c.accuracy === 'number' && c.accuracy >= 0 && c.accuracy <= 1 ? c.accuracy : undefined;
  } catch {
    return undefined;
  }
}
