import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutInText, mazeFacts, mazeSvg } from '../../../src/vscode/rl/mazePreview';

const text = `// a maze
{
  "kind": "offline-gcrl",
  "env": { "type": "gridmaze", "layout": [
    "#####",
    "#...#",
    "#####"
  ] },
  "evaluation": { "tasks": [{ "start": [1, 1], "goal": [1, 3] }, { "start": [1, 1], "goal": [0, 0] }] }
}`;

describe('maze preview (hover, CodeLens)', () => {
  it('finds the layout and the tasks in the text, comments and all', () => {
    const l = layoutInText(text)!;
    assert.deepEqual(l.layout, ['#####', '#...#', '#####']);
    assert.equal(text.slice(l.keyStart, l.keyStart + 8), '"layout"');
    assert.equal(text[l.start], '[');
    assert.equal(text[l.end - 1], ']');
    assert.equal(l.tasks.length, 2);
    assert.equal(layoutInText('{"kind": "train"}'), undefined);
  });

  it('draws walls, free cells and numbered tasks as SVG', () => {
    const l = layoutInText(text)!;
    const svg = mazeSvg(l, 10);
    assert.match(svg, /^<svg [^>]*width="50" height="30"/);
    assert.equal((svg.match(/<rect /g) ?? []).length, 15);
    assert.match(svg, />S1</);
    assert.match(svg, />G2</);
  });

  it('states size, free cells, longest path and each task\'s length, or what is wrong', () => {
    const l = layoutInText(text)!;
    assert.deepEqual(mazeFacts(l), [
      '3 × 5 cells, 3 free; the longest shortest path is 2 moves',
      'task 1: [1,1] → [1,3]: 2 moves',
      'task 2: [1,1] → [0,0]: not reachable (a wall or outside the maze)',
    ]);
    assert.match(mazeFacts({ layout: ['###', '#.', '###'], tasks: [] })[0], /not a valid maze: row 1 has 2 cells/);
  });
});
