import type { ExtractionSchema } from './schema';

/**
 * The schema-instructed chat prompt (ChatUIE's "instruction + context"): the system message
 * lists the types and the answer shape; the user message carries the text. Spans must be
 * copied verbatim because grounding drops anything it cannot find in the text.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function extractionInstructions(schema: ExtractionSchema): string {
  const lines = [
    'You extract structured information from text.',
    'Answer with one JSON object and nothing else.',
    'Every "text", "head", "tail" and "trigger" value must be copied exactly, character for character, from the text; never paraphrase, translate or invent.',
    '',
    'Entity types:',
    ...schema.entities.map((e) => `- ${e.type}${e.description ? `: ${e.description}` : ''}`),
  ];
  const shape: string[] = ['"entities": [{"type": <entity type>, "text": <span>}]'];
  if (schema.relations.length > 0) {
    lines.push('', 'Relation types (head entity type -> tail entity type):');
    for (const r of schema.relations) lines.push(`- ${r.type} (${r.head} -> ${r.tail})${r.description ? `: ${r.description}` : ''}`);
    shape.push('"relations": [{"type": <relation type>, "head": <span of the head entity>, "tail": <span of the tail entity>}]');
  }
  if (schema.events.length > 0) {
    lines.push('', 'Event types and their argument roles:');
    for (const e of schema.events) {
      const roles = e.roles.map((r) => `${r.role}${r.types.length ? ` (${r.types.join('|')})` : ''}`).join(', ');
      lines.push(`- ${e.type}: ${roles}${e.description ? ` -- ${e.description}` : ''}`);
    }
    shape.push('"events": [{"type": <event type>, "trigger": <span>, "arguments": [{"role": <role>, "text": <span>}]}]');
  }
  lines.push('', `Answer shape: {${shape.join(', ')}}`, 'Use empty lists when nothing is found.');
  return lines.join('\n');
}

export function extractionMessages(schema: ExtractionSchema, text: string): ChatMessage[] {
  return [
    { role: 'system', content: extractionInstructions(schema) },
    { role: 'user', content: `Text:\n${text}` },
  ];
}
