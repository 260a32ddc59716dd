import Ajv, { type ValidateFunction } from 'ajv';
import experimentSchema from '../../../schemas/experiment.schema.json';
import distillSchema from '../../../schemas/kinds/distill.schema.json';
import diffusionKindSchema from '../../../schemas/kinds/diffusion.schema.json';

/** The experiment JSON Schema (`schemas/experiment.schema.json`), as shipped to VS Code. */
export const EXPERIMENT_SCHEMA: Readonly<Record<string, unknown>> = experimentSchema;

/**
 * Kinds whose definitions live in their own file (`schemas/kinds/<file>`), referenced from the
 * experiment schema by a relative `$ref` (VS Code resolves it next to the main schema; ajv by `$id`).
 */
export const KIND_SCHEMAS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'diffusion.schema.json': diffusionKindSchema,
  'distill.schema.json': distillSchema,
};

export interface ExperimentValidators {
  /** Reports every error; leaves the data untouched (editor diagnostics). */
  check: ValidateFunction;
  /** Reports every error and fills in the schema's `default`s (loading, so runs store resolved values). */
  withDefaults: ValidateFunction;
}

// Compiling the schema takes 100-200 ms, so each validator is compiled once, on first use
// (the editor only ever needs `check`). These memos are the module's only state; they are
// derived from a constant and never change after.
let checkFn: ValidateFunction | undefined;
let withDefaultsFn: ValidateFunction | undefined;

function makeAjv(useDefaults: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // `oneOf` + `discriminator` on kind/format/type/policy: only the branch selected by the
    // tag is checked, so errors stay specific instead of one per alternative.
    discriminator: true,
    // `verbose` gives each error its schema and data, used to write human messages.
    verbose: true,
    useDefaults,
    strict: true,
    // Tags are required by the branches, not the parent; types come from the branches too.
    strictRequired: false,
    strictTypes: false,
  });
  // VS Code's editor-only keywords.
  ajv.addVocabulary(['markdownDescription', 'markdownEnumDescriptions', 'enumDescriptions', 'defaultSnippets', 'allowComments', 'allowTrailingCommas']);
  for (const kindSchema of Object.values(KIND_SCHEMAS)) ajv.addSchema(kindSchema);
  return ajv;
}

export function experimentValidators(): ExperimentValidators {
  return {
    get check(): ValidateFunction {
      return (checkFn ??= makeAjv(false).compile(experimentSchema));
    },
    get withDefaults(): ValidateFunction {
      return (withDefaultsFn ??= makeAjv(true).compile(experimentSchema));
    },
  };
}
