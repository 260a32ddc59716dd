import type { DiffusionPolicySummary, DiffusionSummary } from '../runner/summary';

/** The CLI's human summary of a diffusion lab run (the `--json` document is the summary itself). */
export function diffusionSummaryLines(s: DiffusionPolicySummary | DiffusionSummary): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (s.kind === 'diffusion-policy') {
    if (s.onMode === undefined) return [`${s.status} ${s.experiment} (diffusion-policy): stopped before its first measurement`];
    return [
      `${s.status} ${s.experiment} (diffusion-policy): ${pct(s.onMode)} of samples on a data mode, ${pct(s.bestModeShare ?? 0)} on the best-reward mode`,
      `  mode shares ${(s.modeShares ?? []).map(pct).join(' / ')}, expected reward ${(s.expectedReward ?? 0).toFixed(3)}`,
      ...(s.success !== undefined ? [`  rollouts from every free cell reach the goal ${pct(s.success)}`] : []),
    ];
  }
  const lines = [`${s.status} ${s.experiment} (diffusion): Fréchet distance in our classifier's features (not FID), lower is better`];
  for (const arm of ['coarse-to-fine', 'single-scale'] as const) {
    const r = s[arm];
    if (!r) continue;
    const knobs = r.sampling ? `; guidance ${r.sampling.guidance}${arm === 'coarse-to-fine' ? `, coarse share ${r.sampling.coarseShare}` : ''}` : '';
    const chosen = r.validation ? `, chosen on ${r.validation.samples} validation samples per candidate` : '';
    lines.push(`  ${arm.padEnd(14)} distance ${r.distance.toFixed(2)}, at 7x7 ${r.distance7.toFixed(2)}, class consistency ${pct(r.classConsistency)}${knobs}${chosen}`);
  }
  if (s.classifierAccuracy !== undefined) lines.push(`  measuring classifier: ${pct(s.classifierAccuracy)} on the held-out images`);
  if (s.reconstructionDistance !== undefined) lines.push(`  autoencoder reconstructions of held-out images: distance ${s.reconstructionDistance.toFixed(2)} (the floor here)`);
  return lines;
}
