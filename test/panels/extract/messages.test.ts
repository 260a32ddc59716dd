import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isExtractPanelState, isHostToWebview, isWebviewToHost, type ExtractPanelState } from '../../../src/panels/extract/messages';

const text = 'Sen. Jake Garn, R-Utah, flew on the <b>shuttle</b>.';
const garn = { type: 'Peop', text: 'Jake Garn', start: 5, end: 14 };
const state: ExtractPanelState = {
  text,
  result: {
    entities: [{ ...garn, grounding: 'normalised' }, { type: 'Loc', text: 'Utah', start: 18, end: 22 }],
    relations: [{ type: 'Live_In', head: garn, tail: { type: 'Loc', text: 'Utah', start: 18, end: 22 } }],
    events: [],
    ungrounded: 1,
    provider: 'builtin',
  },
  schemaName: 'conll04',
  entityTypes: ['Loc', 'Org', 'Peop', 'Other'],
  source: 'sample.txt:1',
  createdAt: '2026-11-27T08:00:00.000Z',
};
const clone = (): ExtractPanelState => structuredClone(state);

test('a well-formed result message is accepted (markup in the text is just text)', () => {
  assert.ok(isHostToWebview({ type: 'result', state }));
  assert.ok(isExtractPanelState(clone()));
  assert.ok(isHostToWebview({ type: 'notice', level: 'warning', text: '<script>x</script>' }));
});

test('spans that do not read what they claim, or fall outside the text, are rejected', () => {
  const wrongText = clone();
  wrongText.result.entities[0].text = 'Jake Garn!';
  assert.equal(isExtractPanelState(wrongText), false);
  const outside = clone();
  outside.result.entities[1] = { type: 'Loc', text: '', start: 60, end: 70 };
  assert.equal(isExtractPanelState(outside), false);
  const badRelation = clone();
  badRelation.result.relations[0].tail.start = 17;
  assert.equal(isExtractPanelState(badRelation), false);
  const badGrounding = clone() as unknown as { result: { entities: { grounding: string }[] } };
  badGrounding.result.entities[0].grounding = 'guessed';
  assert.equal(isExtractPanelState(badGrounding), false);
});

test('relation scores and rationale words are checked like spans', () => {
  const withRationale = clone();
  withRationale.result.relations[0] = { ...withRationale.result.relations[0], score: 0.9, rationale: [{ text: 'flew', start: 24, end: 28, score: 0.3 }] };
  assert.ok(isExtractPanelState(withRationale));
  for (const patch of [
    { score: 1.5 }, { score: '0.9' }, { rationale: 'flew' }, { rationale: [{ text: 'flew', start: 23, end: 27 }] },
    { rationale: [{ text: 'flew', start: 24, end: 28, score: Number.NaN }] }, { rationale: [{ text: 'x', start: 100, end: 101 }] },
  ]) {
    const s = clone();
    Object.assign(s.result.relations[0], patch);
    assert.equal(isExtractPanelState(s), false, JSON.stringify(patch));
  }
});

test('malformed fields are rejected', () => {
  for (const patch of [
    { ungrounded: -1 }, { ungrounded: 1.5 }, { provider: '' }, { entities: 'x' }, { events: [{ type: 'E', trigger: garn, arguments: [{ role: '', entity: garn }] }] },
  ]) {
    const s = clone();
    Object.assign(s.result, patch);
    assert.equal(isExtractPanelState(s), false, JSON.stringify(patch));
  }
  assert.equal(isExtractPanelState({ ...clone(), entityTypes: [1] }), false);
  assert.equal(isExtractPanelState({ ...clone(), source: '' }), false);
  assert.equal(isHostToWebview({ type: 'notice', level: 'fatal', text: 'x' }), false);
  assert.equal(isHostToWebview({ type: 'runs' }), false);
  assert.equal(isHostToWebview(null), false);
});

test('a result knows its document and offset (to reveal entities); a failure says which selection and why', () => {
  assert.ok(isExtractPanelState({ ...clone(), document: 'file:///w/sample.txt', offset: 120, source: 'sample.txt:2–3' }));
  assert.equal(isExtractPanelState({ ...clone(), offset: -1 }), false);
  assert.equal(isExtractPanelState({ ...clone(), offset: 1.5 }), false);
  assert.equal(isExtractPanelState({ ...clone(), document: '' }), false);
  assert.ok(isHostToWebview({ type: 'failed', source: 'sample.txt:2', text: 'Extraction failed: <b>model file not found</b>' }));
  assert.equal(isHostToWebview({ type: 'failed', source: '', text: 'x' }), false);
  assert.equal(isHostToWebview({ type: 'failed', source: 'a.txt:1', text: 'x'.repeat(10_001) }), false);
});

test('webview-to-host messages: only the known commands', () => {
  for (const m of [{ type: 'ready' }, { type: 'copyJson' }, { type: 'exportJson' }, { type: 'error', message: 'boom' }, { type: 'revealEntity', index: 0 }, { type: 'revealEntity', index: 19_999 }]) {
    assert.ok(isWebviewToHost(m), JSON.stringify(m));
  }
  for (const m of [
    { type: 'error' }, { type: 'error', message: 'x'.repeat(10_001) }, { type: 'open' }, 'ready', [],
    { type: 'revealEntity' }, { type: 'revealEntity', index: -1 }, { type: 'revealEntity', index: 0.5 }, { type: 'revealEntity', index: '0' }, { type: 'revealEntity', index: 20_000 },
  ]) {
    assert.equal(isWebviewToHost(m), false, JSON.stringify(m));
  }
});

test('webview-to-host: a table exported as CSV is accepted; the panel has no chart to export as an image', () => {
  assert.ok(isWebviewToHost({ type: 'export', format: 'csv', name: 'extraction-entities', content: 'type,text\r\n' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'svg', name: 'x', content: '<svg></svg>' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'csv', name: 'x' }));
});
