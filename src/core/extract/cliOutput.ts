import type { CausalEvaluation } from './causal/evaluateCausal';
import type { ExtractionScores } from './eval';
import type { ExtractionResult } from './types';

/**
 * The JSON documents `model-lab extract` prints with `--json`: one object on stdout and nothing
 * else there (progress and errors go to stderr). The CLI writes these types and its readers
 * (scripts, `test/cli/extract.test.ts`) read them; fields may be added, never renamed or
 * removed. Described for users in docs/extraction.md. (The extension gets the same
 * `ExtractionResult` from the runner's extraction job, not through the CLI.)
 */

/**
 * `model-lab extract --json`: the grounded records of one text. Offsets are UTF-16 code units
 * into the text with `end` exclusive, and `text.slice(start, end) === span.text` holds for every
 * span (entities, relation heads and tails, event triggers and arguments); spans the model
 * reported that are not in the text are dropped and counted in `ungrounded`. `provider` names
 * the model (`builtin`, `openai:gpt-4o-mini`, ...).
 */
export type ExtractOutput = ExtractionResult;

/**
 * `model-lab extract eval --json`: micro precision, recall and F1 over an annotated file
 * (`relation` is strict: both spans and types must match), the same per entity and relation
 * type (`perType`), the spans dropped as ungrounded, the number of sentences and the provider.
 */
export interface ExtractEvalOutput extends ExtractionScores {
  provider: string;
}

/**
 * `model-lab extract eval --format semeval8 --json`: the built-in causal model on SemEval-2010
 * Task 8 sentences with the nominals given: the official score (`macroF1`, over the nine
 * relations, direction counted), direction-aware Cause-Effect P/R/F1, and the rationales'
 * ERASER comprehensiveness and sufficiency next to random rationales of the same length.
 */
export type ExtractCausalEvalOutput = CausalEvaluation;
