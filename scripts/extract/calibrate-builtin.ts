/**
 * Fits what the built-in extractor decides after training, on held-out CoNLL04-format data
 * (the dev split, with a model trained on train only):
 *
 * - gazetteer prior: the strength (`tagger.listPrior`) with the best dev entity F1;
 * - sentence-start evidence against a person (`tagger.sentenceStartPrior`): the strongest of those
 *   with the best dev entity F1, given the gazetteer prior;
 * - span confidence: Platt scaling of the CRF span marginals (`spanConfidence.ts`), so a
 *   confidence of 0.7 means about 70% of such spans are exactly right; reports the expected
 *   calibration error (ECE) before and after;
 * - `tagger.minConfidence`: spans below it are dropped, the value with the best dev entity F1;
 * - relation evidence: `relation.minEvidence`, the least drop of a relation's probability when the
 *   words outside its arguments are erased (`ExtractorModel.predict`), the largest value in a
 *   grid whose dev relation F1 stays within `--tolerance` (default 0.005) of the best.
 *
 *   npx tsx scripts/extract/calibrate-builtin.ts --model /tmp/trainonly/extractor.json --dev ../shared/datasets/conll04/conll04_dev.json \
 *     [--apply-to models/extractor/extractor.json] [--check news.json]
 *
 * `--apply-to` writes both into a model's JSON (e.g. the shipped model trained on train + dev with
 * the same settings, which has no held-out data of its own); `--check FILE` only reports the ECE of
 * the fitted calibration on another annotated file (it is not fitted there).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/core/tensor/backend';
import { conll04ToDocument, loadConll04, type Conll04Sentence } from '../../src/core/extract/conll04';
import { scoreExtraction } from '../../src/core/extract/eval';
import { ExtractorModel } from '../../src/core/extract/builtin/extractorModel';
import { calibrate, expectedCalibrationError, fitCalibration, type Calibration } from '../../src/core/extract/builtin/spanConfidence';

/** Raw span marginals (calibration set to the identity) and whether each predicted span is exactly a gold entity. */
function spanOutcomes(model: ExtractorModel, data: Conll04Sentence[]): { raw: number[]; correct: boolean[]; gold: number } {
  const saved = model.meta.tagger.calibration;
  model.meta.tagger.calibration = { a: 1, b: 0 };
  const pred = model.predictEntities(data.map((s) => s.tokens));
  model.meta.tagger.calibration = saved;
  const raw: number[] = [];
  const correct: boolean[] = [];
  pred.forEach((spans, i) => {
    const gold = new Set(data[i].entities.map((e) => `${e.type}:${e.start}:${e.end}`));
    for (const s of spans) { raw.push(s.confidence ?? 1); correct.push(gold.has(`${s.type}:${s.start}:${s.end}`)); }
  });
  return { raw, correct, gold: data.reduce((n, s) => n + s.entities.length, 0) };
}

function relationF1(model: ExtractorModel, data: Conll04Sentence[], minEvidence: number | undefined): number {
  const saved = model.meta.relation.minEvidence;
  model.meta.relation.minEvidence = minEvidence;
  const pred = model.predict(data.map((s) => s.tokens));
  model.meta.relation.minEvidence = saved;
  const scored = (s: Conll04Sentence) => { const d = conll04ToDocument(s); return { entities: d.entities, relations: d.relations }; };
  return scoreExtraction(data.map(scored), data.map((s, i) => scored({
    tokens: s.tokens, entities: pred[i].entities.map((e) => ({ type: e.type, start: e.start, end: e.end })),
    relations: pred[i].relations.map((r) => ({ type: r.type, head: r.head, tail: r.tail })),
  }))).relation.f1;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, dev: { type: 'string' }, 'apply-to': { type: 'string' }, check: { type: 'string' }, tolerance: { type: 'string', default: '0.005' } } });
  if (!values.model || !values.dev) throw new Error('--model FILE and --dev FILE are required');
  await initBackend();
  const model = await ExtractorModel.load(values.model);
  const dev = await loadConll04(values.dev);
  // Gazetteer prior first (it changes the emissions the confidences come from): the strength with the best dev entity F1.
  const lists = { 'cmp-org': 'Org', 'cmp-city': 'Loc', 'cmp-country': 'Loc', 'cmp-region': 'Loc', 'cmp-person': 'Peop' };
  const entityF1 = (): number => {
    const { correct, gold } = spanOutcomes(model, dev);
    return (2 * correct.filter(Boolean).length) / (correct.length + gold);
  };
  const priorScores = [0, 1, 2, 3, 4, 6].map((strength) => {
    model.meta.tagger.listPrior = { strength, lists };
    return { strength, f1: entityF1() };
  });
  const bestPrior = priorScores.reduce((x, y) => (y.f1 > x.f1 ? y : x));
  const listPrior = { strength: bestPrior.strength, lists };
  model.meta.tagger.listPrior = listPrior;
  // Sentence-start evidence against a person: the strongest of those with the best dev entity F1
  // (on CoNLL04 dev it changes few spans, so several strengths tie).
  const names = ['cmp-first', 'cmp-last', 'cmp-person', 'firstname'];
  const startScores = [0, 1, 2, 3, 4, 6].map((strength) => {
    model.meta.tagger.sentenceStartPrior = { strength, type: 'Peop', names };
    return { strength, f1: entityF1() };
  });
  const sentenceStartPrior = { strength: startScores.reduce((x, y) => (y.f1 >= x.f1 ? y : x)).strength, type: 'Peop', names };
  model.meta.tagger.sentenceStartPrior = sentenceStartPrior;
  const { raw, correct, gold } = spanOutcomes(model, dev);
  const calibration: Calibration = fitCalibration(raw, correct);
  const calibrated = raw.map((p) => calibrate(p, calibration));
  const report: Record<string, unknown> = {
    entityF1ByPriorStrength: priorScores, listPrior, entityF1BySentenceStartStrength: startScores, sentenceStartPrior,
    spans: raw.length, accuracy: correct.filter(Boolean).length / correct.length, calibration,
    eceRaw: expectedCalibrationError(raw, correct), eceCalibrated: expectedCalibrationError(calibrated, correct),
  };
  // Spans below this calibrated confidence are dropped: the threshold with the best dev entity F1.
  const confidenceScores = [0, 0.2, 0.3, 0.4, 0.5, 0.6].map((min) => {
    const tp = correct.filter((c, i) => c && calibrated[i] >= min).length;
    const predicted = calibrated.filter((c) => c >= min).length;
    return { minConfidence: min, f1: (2 * tp) / (predicted + gold) };
  });
  const minConfidence = confidenceScores.reduce((x, y) => (y.f1 > x.f1 ? y : x)).minConfidence;
  report.entityF1ByMinConfidence = confidenceScores;
  report.minConfidence = minConfidence;
  // Relations are chosen among the spans the calibrated tagger keeps.
  model.meta.tagger.calibration = calibration;
  model.meta.tagger.minConfidence = minConfidence;
  const grid = [-0.3, -0.2, -0.1, -0.05, 0, 0.02, 0.05, 0.1];
  const scores = [{ minEvidence: undefined as number | undefined, f1: relationF1(model, dev, undefined) }, ...grid.map((m) => ({ minEvidence: m as number | undefined, f1: relationF1(model, dev, m) }))];
  const best = Math.max(...scores.map((s) => s.f1));
  const within = scores.filter((s) => s.minEvidence !== undefined && s.f1 >= best - Number(values.tolerance)).map((s) => s.minEvidence!);
  // The strictest check that costs (almost) nothing on dev; none if every check costs more.
  const minEvidence = within.length > 0 ? Math.max(...within) : undefined;
  report.relationF1ByMinEvidence = scores.map((s) => ({ minEvidence: s.minEvidence ?? 'none', f1: s.f1 }));
  report.minEvidence = minEvidence;
  if (values.check) {
    const other = spanOutcomes(model, await loadConll04(values.check));
    report.check = { file: values.check, spans: other.raw.length, accuracy: other.correct.filter(Boolean).length / other.correct.length,
      eceRaw: expectedCalibrationError(other.raw, other.correct), eceCalibrated: expectedCalibrationError(other.raw.map((p) => calibrate(p, calibration)), other.correct) };
  }
  console.log(JSON.stringify(report, null, 2));
  if (values['apply-to']) {
    const meta = JSON.parse(await readFile(values['apply-to'], 'utf8'));
    meta.tagger.calibration = calibration;
    meta.tagger.listPrior = listPrior;
    meta.tagger.sentenceStartPrior = sentenceStartPrior;
    meta.tagger.minConfidence = minConfidence;
    meta.relation.minEvidence = minEvidence;
    meta.training = { ...meta.training, calibratedOn: { model: 'trained on train only, same settings', dev: values.dev, ...report, check: undefined } };
    await writeFile(values['apply-to'], JSON.stringify(meta));
    console.error(`wrote calibration and minEvidence into ${values['apply-to']}`);
  }
  model.dispose();
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
