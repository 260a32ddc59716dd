import { findNodeAtLocation, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { distancesFrom, MazeError, parseMaze } from '../../core/rl/env/maze';

/**
 * What the editor shows for a maze `layout` in an experiment file: where the layout and the
 * tasks are in the text, a drawing (SVG) and a few facts for the hover. Pure, for tests.
 */
export interface LayoutInFile {
  /** Offsets of the `layout` array (for the hover range and the CodeLens line). */
  start: number;
  end: number;
  /** Offset of the `"layout"` key. */
  keyStart: number;
  layout: string[];
  tasks: { start: [number, number]; goal: [number, number] }[];
  /** Skills experiments in a point maze start here. */
  start2?: [number, number];
}

export function layoutInText(text: string): LayoutInFile | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return undefined;
  const node = findNodeAtLocation(root, ['env', 'layout']);
  if (!node || node.type !== 'array' || !node.parent) return undefined;
  const layout = getNodeValue(node) as unknown;
  if (!Array.isArray(layout) || !layout.every((r) => typeof r === 'string')) return undefined;
  const tasksNode = findNodeAtLocation(root, ['evaluation', 'tasks']);
  const tasks = (tasksNode ? (getNodeValue(tasksNode) as unknown) : []) as unknown[];
  const cell = (c: unknown): c is [number, number] => Array.isArray(c) && c.length === 2 && c.every(Number.isInteger);
  const startNode = findNodeAtLocation(root, ['env', 'start']);
  const start2 = startNode ? getNodeValue(startNode) : undefined;
  return {
    start: node.offset,
    end: node.offset + node.length,
    keyStart: (node.parent.children?.[0] as Node).offset,
    layout,
    tasks: Array.isArray(tasks) ? tasks.filter((t): t is { start: [number, number]; goal: [number, number] } => !!t && typeof t === 'object' && cell((t as { start?: unknown }).start) && cell((t as { goal?: unknown }).goal)) : [],
    start2: cell(start2) ? start2 : undefined,
  };
}

/** The maze as an SVG: walls, free cells, numbered tasks (S start, G goal), a skills start. */
export function mazeSvg(l: Pick<LayoutInFile, 'layout' | 'tasks' | 'start2'>, cellPx = 14): string {
  const rows = l.layout.length;
  const cols = Math.max(...l.layout.map((r) => r.length));
  const parts: string[] = [];
  l.layout.forEach((line, r) => {
    [...line].forEach((ch, c) => {
      parts.push(`<rect x="${c * cellPx}" y="${r * cellPx}" width="${cellPx}" height="${cellPx}" fill="${ch === '#' ? '#4a4f5c' : '#e8ebf0'}" stroke="#c9ced8" stroke-width="0.5"/>`);
    });
  });
  const label = (cell: [number, number], text: string, color: string) => {
    const [x, y] = [(cell[1] + 0.5) * cellPx, (cell[0] + 0.5) * cellPx];
    return `<circle cx="${x}" cy="${y}" r="${cellPx * 0.45}" fill="${color}"/><text x="${x}" y="${y + cellPx * 0.17}" font-size="${cellPx * 0.5}" font-family="sans-serif" font-weight="bold" text-anchor="middle" fill="#ffffff">${text}</text>`;
  };
  l.tasks.forEach((t, i) => {
    parts.push(label(t.start, `S${i + 1}`, '#2e8b57'), label(t.goal, `G${i + 1}`, '#c0392b'));
  });
  if (l.start2) parts.push(label(l.start2, 'S', '#2e8b57'));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * cellPx}" height="${rows * cellPx}" viewBox="0 0 ${cols * cellPx} ${rows * cellPx}">${parts.join('')}</svg>`;
}

/** Facts for the hover: size, free cells, the longest shortest path, each task's length; or what is wrong. */
export function mazeFacts(l: Pick<LayoutInFile, 'layout' | 'tasks'>): string[] {
  try {
    const maze = parseMaze(l.layout);
    let longest = 0;
    for (const a of maze.free) {
      const d = distancesFrom(maze, a);
      for (const b of maze.free) longest = Math.max(longest, d[b[0] * maze.cols + b[1]]);
    }
    const facts = [`${maze.rows} × ${maze.cols} cells, ${maze.free.length} free; the longest shortest path is ${longest} moves`];
    l.tasks.forEach((t, i) => {
      const d = distancesFrom(maze, t.start)[t.goal[0] * maze.cols + t.goal[1]];
      facts.push(`task ${i + 1}: [${t.start}] → [${t.goal}]: ${d >= 0 ? `${d} moves` : 'not reachable (a wall or outside the maze)'}`);
    });
    return facts;
  } catch (e) {
    return [e instanceof MazeError ? `not a valid maze: ${e.message}` : String(e)];
  }
}
