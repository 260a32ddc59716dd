import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
  contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string }[]> };
};
const title = (id: string) => manifest.contributes.commands.find((c) => c.command === id)?.title;

/**
 * Entries VS Code itself puts in the Explorer's context menu (1.100; a context menu shows titles
 * without their category). "Open Timeline" is VS Code's file-history view.
 */
const VSCODE_EXPLORER_ENTRIES = [
  'Open to the Side', 'Open With...', 'Open Timeline', 'Reveal in File Explorer', 'Reveal in Finder', 'Open Containing Folder',
  'Open in Integrated Terminal', 'Select for Compare', 'Compare with Selected', 'Cut', 'Copy', 'Paste', 'Copy Path',
  'Copy Relative Path', 'Rename...', 'Delete', 'Find in Folder...', 'Download...', 'New File...', 'New Folder...', 'Share',
];

test('our Explorer context menu entries cannot be confused with VS Code\'s own (ours: Open Freezing Timeline)', () => {
  const ours = manifest.contributes.menus['explorer/context'].map((m) => title(m.command));
  assert.ok(ours.includes('Open Freezing Timeline'), JSON.stringify(ours));
  assert.deepEqual(ours.filter((t) => t === undefined || VSCODE_EXPLORER_ENTRIES.includes(t)), []);
  assert.equal(new Set(ours).size, ours.length);
});
