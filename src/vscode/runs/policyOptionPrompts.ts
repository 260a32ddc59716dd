import { freezingWithOverride, missingPolicyOptions } from '../../core/experiment/load';
import { layerName } from '../../core/experiment/layerName';
import { WEIGHTED_LAYER_TYPES } from '../../core/experiment/semantic';
import type { LayerType } from '../../core/experiment/types';

/**
 * What Run with Policy asks before running a policy whose required options the file does not
 * give (today: `static`, which needs which layers and when): one prompt per missing group of
 * alternatives, read from the schema. Pure, so the questions and their answers are tested
 * without VS Code; `runCommands.ts` shows them as quick picks and input boxes.
 */
export type PolicyOptionPrompt =
  | {
      kind: 'pick';
      title: string;
      placeHolder: string;
      items: { label: string; description: string; options: Record<string, unknown> }[];
    }
  | {
      kind: 'input';
      title: string;
      prompt: string;
      value: string;
      /** An error message for a bad answer, undefined for a good one. */
      validate(text: string): string | undefined;
      /** The options a good answer sets. */
      options(text: string): Record<string, unknown>;
    };

/** `doc`: the experiment's JSON as written (read tolerantly); the prompts fill what `policy` lacks in it. */
export function policyOptionPrompts(policy: string, doc: Record<string, unknown> | undefined): PolicyOptionPrompt[] {
  const freezing = freezingWithOverride(doc?.freezing, policy);
  return missingPolicyOptions(policy, freezing).map((group) => optionPrompt(policy, group, doc, freezing));
}

/** The question for one group of alternative options (`["layers", "prefix"]`, ...). */
export function optionPrompt(policy: string, group: string[], doc: Record<string, unknown> | undefined, freezing: Record<string, unknown>): PolicyOptionPrompt {
  if (group.includes('prefix')) return whichLayers(doc, freezing);
  if (group.includes('atEpoch')) return whenToFreeze(doc);
  return anyValue(policy, group[0]);
}

/** The layers to freeze, as a prefix of the layers with weights (static freezing is front to back). */
function whichLayers(doc: Record<string, unknown> | undefined, freezing: Record<string, unknown>): PolicyOptionPrompt {
  const model = isRecord(doc?.model) ? doc.model : {};
  const layers = Array.isArray(model.layers) && model.from === undefined ? model.layers : [];
  const weighted = layers
    .map((l, i) => (isRecord(l) && typeof l.type === 'string' && WEIGHTED_LAYER_TYPES.has(l.type as LayerType) ? layerName({ type: l.type as LayerType, name: typeof l.name === 'string' ? l.name : undefined }, i) : undefined))
    .filter((n): n is string => n !== undefined);
  const keep = typeof freezing.keepTrainable === 'number' ? freezing.keepTrainable : 1;
  const title = 'Which layers should freeze?';
  if (weighted.length - keep < 1) {
    // Layers from a saved model, or none known: ask for the count.
    return {
      kind: 'input',
      title,
      prompt: `How many leading layers with weights to freeze (static freezing is front to back)?${weighted.length ? ` The model has ${weighted.length} and keepTrainable is ${keep}.` : ''}`,
      value: '1',
      validate: (t) => (/^\s*[1-9]\d*\s*$/.test(t) ? undefined : 'a whole number of layers, 1 or more'),
      options: (t) => ({ prefix: Number(t) }),
    };
  }
  return {
    kind: 'pick',
    title,
    placeHolder: `Static freezing stops a prefix of the ${weighted.length} layers with weights (keepTrainable ${keep} keep${keep === 1 ? 's' : ''} training)`,
    items: weighted.slice(0, weighted.length - keep).map((_, k) => ({
      label: `Freeze ${weighted.slice(0, k + 1).join(', ')}`,
      description: `first ${k + 1} of ${weighted.length} layers with weights`,
      options: { prefix: k + 1 },
    })),
  };
}

/** When: after a number of epochs of full training (the schema's 0-based `atEpoch`). */
function whenToFreeze(doc: Record<string, unknown> | undefined): PolicyOptionPrompt {
  const training = isRecord(doc?.training) ? doc.training : {};
  const epochs = typeof training.epochs === 'number' && Number.isInteger(training.epochs) && training.epochs >= 1 ? training.epochs : undefined;
  return {
    kind: 'input',
    title: 'When should they freeze?',
    prompt: `After how many epochs of full training? 0 freezes them from the start${epochs ? `; the run has ${epochs} epochs` : ''}.`,
    value: String(epochs ? Math.floor(epochs / 2) : 1),
    validate: (t) => {
      if (!/^\s*\d+\s*$/.test(t)) return 'a whole number of epochs, 0 or more';
      if (epochs !== undefined && Number(t) >= epochs) return `the run has ${epochs} epochs: freeze after 0 to ${epochs - 1}`;
      return undefined;
    },
    options: (t) => ({ atEpoch: Number(t) }),
  };
}

/** A required option this module has no question for: its value as JSON (or text). */
function anyValue(policy: string, option: string): PolicyOptionPrompt {
  const parse = (t: string): unknown => {
    try {
      return JSON.parse(t);
    } catch {
      return t;
    }
  };
  return {
    kind: 'input',
    title: `freezing.${option}`,
    prompt: `Policy "${policy}" needs "${option}" (see its description in the experiment schema).`,
    value: '',
    validate: (t) => (t.trim() === '' ? `"${option}" is required` : undefined),
    options: (t) => ({ [option]: parse(t.trim()) }),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
