import Ajv, { type ValidateFunction } from 'ajv';
import experimentSchema from '../../../schemas/experiment.schema.json';

/** The experiment JSON Schema (`schemas/experiment.schema.json`), as shipped to VS Code. */
export const EXPERIMENT_SCHEMA: Readonly<Record<string, unknown>> = experimentSchema;

export interface ExperimentValidators {
  /** Reports every error; leaves the data untouched (editor diagnostics). */
  check: ValidateFunction;
  /** Stops at the first problem only after collecting all, and fills in schema `default`s (loading). */
  withDefaults: ValidateFunction;
}

// Compiling the schema takes tens of milliseconds, so it is done once, on first use. This
// memo is the module's only state; it is derived from a constant and never changes after.
let compiled: ExperimentValidators | undefined;

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
  ajv.addVocabulary(['markdownDescription', 'markdownEnumDescriptions', 'enumDescriptions', 'defaultSnippets']);
  return ajv;
}

export function experimentValidators(): ExperimentValidators {
  if (!compiled) {
    compiled = {
      check: makeAjv(false).compile(experimentSchema),
      withDefaults: makeAjv(true).compile(experimentSchema),
    };
  }
  return compiled;
}
