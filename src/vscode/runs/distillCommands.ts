import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { distillExperimentText, type DistillTemplateMode } from '../../core/distill/template';
import { isUserError } from '../../core/errors';
import { loadExperimentFile } from '../../core/experiment/load';
import type { TrainExperiment } from '../../core/experiment/types';
import { readRunConfig } from '../../runner/runConfig';
import { isTrainRun, readRunRecord, type RunRecord } from '../../runner/runStore';
import { isExperimentFile } from '../config';
import type { RunsNode } from './runsTreeProvider';

/**
 * **Distil into Smaller Student...** and **Distil without Data...** (issue 14): on a completed
 * train run in the Runs view (the teacher is that run's folder) or on a train experiment file
 * (the teacher is its latest completed run), write a distill experiment next to the teacher's
 * experiment (student and arms from `core/distill/template.ts`) and open it.
 */
export function registerDistillCommands(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('modelLab.distillRun', (arg?: unknown) => distil(arg, 'data')),
    vscode.commands.registerCommand('modelLab.distillRunWithoutData', (arg?: unknown) => distil(arg, 'data-free')),
  );
}

async function distil(arg: unknown, mode: DistillTemplateMode): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage('Model Lab: distillation reads the teacher\'s files; trust this folder first.');
    return;
  }
  const teacher = await teacherFrom(arg);
  if (!teacher) return;
  const dir = path.dirname(teacher.experimentFile);
  const base = path.basename(teacher.experimentFile, '.experiment.json');
  const suffix = mode === 'data' ? 'distill' : 'datafree';
  let file = path.join(dir, `${base}-${suffix}.experiment.json`);
  for (let i = 2; existsSync(file); i++) file = path.join(dir, `${base}-${suffix}-${i}.experiment.json`);
  const ref = path.relative(dir, teacher.ref).split(path.sep).join('/');
  writeFileSync(file, distillExperimentText(teacher.experiment, ref, mode), { flag: 'wx' });
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
}

/** The teacher an argument names: a run node (that run) or an experiment file (its latest completed run). */
async function teacherFrom(arg: unknown): Promise<{ experimentFile: string; ref: string; experiment: TrainExperiment } | undefined> {
  const node = arg as RunsNode | undefined;
  if (node && typeof node === 'object' && node.kind === 'run') {
    const run = (node as { run: RunRecord }).run;
    const record = await readRunRecord(run.runDir);
    const config = await readRunConfig(run.runDir).catch(() => undefined);
    if (!record || !config || !isTrainRun(record) || record.status !== 'completed') {
      void vscode.window.showInformationMessage('Model Lab: only a completed train run can be distilled.');
      return undefined;
    }
    return { experimentFile: record.experimentFile, ref: run.runDir, experiment: config.experiment as TrainExperiment };
  }
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !isExperimentFile(uri)) {
    void vscode.window.showInformationMessage('Model Lab: choose a train experiment file or a completed train run to distil.');
    return undefined;
  }
  try {
    const loaded = await loadExperimentFile(uri.fsPath);
    if (loaded.experiment.kind !== 'train') {
      void vscode.window.showInformationMessage(`Model Lab: ${path.basename(uri.fsPath)} is a "${loaded.experiment.kind}" experiment; a teacher is a train experiment.`);
      return undefined;
    }
    return { experimentFile: loaded.file, ref: loaded.file, experiment: loaded.experiment };
  } catch (e) {
    void vscode.window.showErrorMessage(`Model Lab: ${isUserError(e) ? e.message : String(e)}`);
    return undefined;
  }
}
