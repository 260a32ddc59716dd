import { findNodeAtLocation, type Node as JsonNode, type JSONPath } from 'jsonc-parser';

/** `/model/layers/2/type` -> `['model', 'layers', 2, 'type']` (RFC 6901 unescaping). */
export function pointerToPath(pointer: string, tree?: JsonNode): JSONPath {
  if (pointer === '' || pointer === '/') return [];
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Array indices must be numbers for jsonc-parser; decide by the actual node type when known.
  const path: JSONPath = [];
  let node = tree;
  for (const part of parts) {
    const isIndex = /^(0|[1-9]\d*)$/.test(part) && (node === undefined || node.type === 'array');
    const seg = isIndex ? Number(part) : part;
    path.push(seg);
    node = node ? findNodeAtLocation(node, [seg]) : undefined;
  }
  return path;
}

export function pathToPointer(path: JSONPath): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * The text range to underline for the field at `pointer`:
 * - `value`: the value itself (scalars and small containers), the whole node;
 * - `key`: the property name holding the value (for "missing property" or "unknown property"
 *   problems, so a large object is not underlined in full); array elements and the root fall
 *   back to their first character.
 * A pointer to a missing node resolves to its closest existing ancestor's key.
 */
export function rangeOf(tree: JsonNode | undefined, pointer: string, mode: 'value' | 'key'): { start: number; end: number } {
  if (!tree) return { start: 0, end: 0 };
  const path = pointerToPath(pointer, tree);
  let node: JsonNode | undefined;
  let missing = false;
  for (let n = path.length; n >= 0; n--) {
    node = findNodeAtLocation(tree, path.slice(0, n));
    if (node) break;
    missing = true;
  }
  if (!node) node = tree;
  if (mode === 'value' && !missing) return { start: node.offset, end: node.offset + node.length };
  const parent = node.parent;
  if (parent && parent.type === 'property' && parent.children && parent.children[0]) {
    const key = parent.children[0];
    return { start: key.offset, end: key.offset + key.length };
  }
  return { start: node.offset, end: node.offset + 1 };
}
