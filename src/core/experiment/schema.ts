import Ajv, { type ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
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

// Compiling the schema takes 100-200 ms, so each validator is made once, on first use (the
// editor only ever needs `check`), from the build's standalone code where there is one. These
// memos are the module's only state; they are derived from a constant and never change after.
let checkFn: ValidateFunction | undefined;
let withDefaultsFn: ValidateFunction | undefined;

/** The one Ajv setup for experiment files; `source` keeps the generated code (for `standaloneCode`). */
export function makeAjv(useDefaults: boolean, source = false): Ajv {
  const ajv = new Ajv({
    code: { source },
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
      return (checkFn ??= standaloneValidator('check') ?? makeAjv(false).compile(experimentSchema));
    },
    get withDefaults(): ValidateFunction {
      return (withDefaultsFn ??= standaloneValidator('withDefaults') ?? makeAjv(true).compile(experimentSchema));
    },
  };
}

/**
 * The validators as standalone code, written next to the bundles by the build
 * (`scripts/experimentValidators.ts`): every run and CLI command validates its experiment, and
 * compiling both validators cost each process ~0.2 s of CPU; loading the code takes ~15 ms.
 */
export const STANDALONE_VALIDATORS = { check: 'experimentCheck.cjs', withDefaults: 'experimentWithDefaults.cjs' } as const;

/** Identifies the schemas a standalone validator was generated from (a stale one is not used). */
export function schemaHash(): string {
  return createHash('sha256').update(JSON.stringify([experimentSchema, KIND_SCHEMAS])).digest('hex').slice(0, 16);
}

/** The build's validator beside this bundle, if there is one made from these same schemas. */
export function standaloneValidator(which: keyof typeof STANDALONE_VALIDATORS, dir: string = __dirname): ValidateFunction | undefined {
  const file = path.join(dir, STANDALONE_VALIDATORS[which]);
  if (!existsSync(file)) return undefined;
  try {
    const mod = createRequire(__filename)(file) as { default?: ValidateFunction; schemaHash?: unknown };
    return mod.schemaHash === schemaHash() && typeof mod.default === 'function' ? mod.default : undefined;
  } catch {
    return undefined;
  }
}
