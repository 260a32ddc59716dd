import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationReport } from '../../../src/core/train/classificationReport';
import { confusionMatrixCsv, epochsCsv, layersCsv, perClassCsv } from '../../../src/panels/timeline/csv';
import { timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
import { digitsRunEvents } from '../../vscode/fixtures/runEvents';

const run = timelineRunFromEvents({ runId: 'run-a', runDir: '/r/a' }, digitsRunEvents());

test('epochs CSV: a row per completed epoch (from 1) with the charts\' values', () => {
  const lines = epochsCsv([run]).trimEnd().split('\r\n');
  assert.equal(lines[0], 'run,runId,policy,epoch,step,trainLoss,testLoss,testAccuracy,elapsedSeconds,backwardFlopsSaved,forwardFlopsSaved');
  assert.equal(lines.length, 1 + run.epochPoints.length);
  const first = lines[1].split(',');
  const p = run.epochPoints[0];
  assert.deepEqual(first, ['smartfrz', 'run-a', 'smartfrz', '1', String(p.step), String(p.loss), String(p.testLoss), String(p.testAccuracy), String(p.elapsedSeconds), String(p.savedBackward), String(p.savedForward)]);
});

test('layers CSV: each layer with when it froze; layers that never froze have empty cells', () => {
  const lines = layersCsv([run]).trimEnd().split('\r\n');
  assert.equal(lines.length, 1 + run.layers.length);
  assert.match(lines.find((l) => l.includes(',fc1,'))!, /^smartfrz,run-a,fc1,dense,8320,2,10,/);
  assert.match(lines.find((l) => l.includes(',out,'))!, /^smartfrz,run-a,out,dense,650,,,,$/);
});

test('confusion matrix and per-class CSV: the report as tables, class names as the data has them', () => {
  const report = classificationReport([0, 0, 1, 2], [0, 1, 1, 2], 3, ['a', 'b,c', '=d']);
  assert.equal(confusionMatrixCsv(report), 'true \\ predicted,a,"b,c",\'=d\r\na,1,1,0\r\n"b,c",0,1,0\r\n\'=d,0,0,1\r\n');
  const lines = perClassCsv(report).trimEnd().split('\r\n');
  assert.deepEqual(lines, ['class,precision,recall,f1,support', 'a,1,0.5,0.6666666666666666,2', '"b,c",0.5,1,0.6666666666666666,1', "'=d,1,1,1,1", `macro average,${report.macro.precision},${report.macro.recall},${report.macro.f1},4`]);
});
