import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/core/train/events';
import { isHostToWebview, isSkillsPanelState, isWebviewToHost } from '../../../src/panels/skills/messages';
import { coverageCsvRows, coverageRows, coverageSpec, trajectoriesSpec, trajectoryCsvRows, trajectoryRows, wallRows, type SkillsChartTheme } from '../../../src/panels/skills/spec';
import { runLabels, skillColor, skillsRunView, type SkillsRunInfo } from '../../../src/panels/skills/viewModel';
import { renderSvg } from '../rlRender';

const theme: SkillsChartTheme = { foreground: '#ccc', mutedForeground: '#999', grid: '#333', wall: '#555', fontFamily: 'sans-serif', fontSize: 13, runColors: ['#3794ff', '#d18616'] };

function evaluation(epoch: number, coverage: number, n = 3) {
  return {
    type: 'skills-eval' as const, epoch, coverage, finalDistance: 2 * epoch, maxDistance: 14.1, finalCells: n,
    skills: Array.from({ length: n }, (_, k) => [Math.cos(k), Math.sin(k)]),
    trajectories: Array.from({ length: n }, (_, k) => [[0, 0], [Math.cos(k), Math.sin(k)], [2 * Math.cos(k), 2 * Math.sin(k)]]),
    phi: Array.from({ length: n }, () => [0.5, -0.5]),
  };
}

const info = (algo: string, runId: string, discrete = false): SkillsRunInfo => ({
  runId, runDir: `/runs/${runId}`, experiment: 'point', algo, skills: { dim: discrete ? 8 : 2, discrete }, status: 'completed', epochs: 30,
});

const events = (): RunEvent[] => [
  { type: 'progress', kind: 'skills', fraction: 0, message: 'starting' },
  { type: 'rl-epoch', kind: 'skills', epoch: 10, epochs: 30, metrics: { critic: 1 } },
  evaluation(10, 40),
  { type: 'rl-epoch', kind: 'skills', epoch: 20, epochs: 30, metrics: { critic: 1 } },
  evaluation(20, 90),
  // A resume after the checkpoint at epoch 10 repeats epoch 20: the last one wins.
  { type: 'rl-epoch', kind: 'skills', epoch: 20, epochs: 30, metrics: { critic: 1 } },
  evaluation(20, 95),
];

describe('skills panel contract', () => {
  it('folds events into coverage over training and the latest evaluation (a repeated epoch counts once)', () => {
    const v = skillsRunView(info('metra', 'r-metra-aaaa'), events());
    assert.deepEqual(v.coverage.map((p) => [p.epoch, p.coverage]), [[10, 40], [20, 95]]);
    assert.equal(v.evaluation?.coverage, 95);
    assert.equal(v.epochsDone, 20);
    assert.equal(v.label, 'metra · 2-D skills');
    assert.equal(skillsRunView(info('diayn', 'x', true), []).label, 'diayn · 8 skills');
  });

  it('colours skills by direction (continuous) or index (discrete)', () => {
    assert.equal(skillColor([1, 0], false), 'hsl(0, 75%, 50%)');
    assert.match(skillColor([0, 1], false), /^hsl\(90, /);
    assert.notEqual(skillColor([1, 0, 0], true), skillColor([0, 1, 0], true));
    assert.deepEqual(runLabels([{ label: 'a', runId: 'r1-xxxx' }, { label: 'a', runId: 'r2-yyyy' }]), ['a · xxxx', 'a · yyyy']);
  });

  it('draws METRA and DIAYN side by side and their coverage on one chart (SVG rendered)', async () => {
    const runs = [skillsRunView(info('metra', 'r-metra-aaaa'), events()), skillsRunView(info('diayn', 'r-diayn-bbbb'), events().slice(0, 3))];
    assert.equal(trajectoryRows(runs, () => false).length, 2 * 3 * 3);
    assert.equal(coverageRows(runs).length, 3);
    const svg = await renderSvg(trajectoriesSpec(runs, { width: 800, theme }));
    assert.match(svg, /metra · 2-D skills/);
    assert.match(svg, /diayn · 2-D skills/);
    assert.match(svg, /95 cells/);
    const cov = await renderSvg(coverageSpec(runs, { width: 600, theme }));
    assert.match(cov, /Coverage over training/);
  });

  it('exports what the charts draw: every trajectory position and every evaluated epoch', () => {
    const runs = [skillsRunView(info('metra', 'r-metra-aaaa'), events()), skillsRunView(info('diayn', 'r-diayn-bbbb'), events().slice(0, 3))];
    const traj = trajectoryCsvRows(runs);
    assert.equal(traj.length, trajectoryRows(runs, () => false).length);
    assert.deepEqual(traj[0].slice(0, 3), ['metra · 2-D skills', 0, 0]);
    assert.deepEqual(coverageCsvRows(runs), coverageRows(runs).map((r) => [r.run, r.epoch, r.coverage, r.finalDistance]));
  });

  it('draws a point maze\'s walls behind the trajectories', () => {
    const run = skillsRunView({ ...info('metra', 'm'), layout: ['###', '#.#', '###'] }, events());
    assert.equal(wallRows([run]).length, 8);
  });

  it('validators accept what the host sends and drop what does not fit', () => {
    const run = skillsRunView(info('metra', 'r-metra-aaaa'), events());
    assert.ok(isHostToWebview({ type: 'runs', title: 't', runs: [run] }));
    assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, status: 'weird' }] }));
    assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, evaluation: { ...run.evaluation, trajectories: [[[0, 'x']]] } }] }));
    assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: Array(21).fill(run) }), 'bounded');
    assert.ok(isWebviewToHost({ type: 'cancelRun', runId: 'r' }));
    assert.ok(!isWebviewToHost({ type: 'cancelRun', runId: '' }));
    assert.ok(!isWebviewToHost({ type: 'openFile', path: '/etc/passwd' }));
    assert.ok(isWebviewToHost({ type: 'export', format: 'csv', name: 'coverage', content: 'a,b' }));
    assert.ok(!isWebviewToHost({ type: 'export', format: 'svg', name: 'x', content: '<script>' }), 'an SVG export is SVG');
    assert.ok(isSkillsPanelState({ runDirs: ['/a'] }));
    assert.ok(!isSkillsPanelState({ runDirs: [1] }));
  });
});
