import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffusionSummaryLines } from '../../src/cli/diffusionSummary';
import type { DiffusionSummary } from '../../src/runner/summary';

test("the CLI's summary of a generation run says which sampling knobs the final samples used and that validation chose them", () => {
  const selection = { guidance: 2, coarseShare: 0.7, samples: 400, rule: 'r', candidates: [] };
  const s = {
    status: 'completed', experiment: 'gen', kind: 'diffusion', runId: 'x', runDir: '/r',
    'coarse-to-fine': { distance: 14.33, distance7: 5.26, classConsistency: 0.6675, sampling: { calls: 20, guidance: 2, coarseShare: 0.7 }, validation: selection },
    'single-scale': { distance: 11.76, distance7: 4.46, classConsistency: 0.7785, sampling: { calls: 20, guidance: 3, coarseShare: 0.5 } },
  } as unknown as DiffusionSummary;
  const lines = diffusionSummaryLines(s);
  assert.match(lines[1], /coarse-to-fine +distance 14\.33, at 7x7 5\.26, class consistency 66\.8%; guidance 2, coarse share 0\.7, chosen on 400 validation samples per candidate$/);
  // single-scale has no coarse share; without a selection nothing claims one.
  assert.match(lines[2], /single-scale +distance 11\.76, at 7x7 4\.46, class consistency 77\.8%; guidance 3$/);
});
