/** The labs' custom-training-loop helper (docs/labs-training.md). */
export { type CheckpointExtra, readSessionCheckpoint, SESSION_MANIFEST } from './sessionCheckpoint';
export {
  type GroupOptions,
  type LoadedCheckpoint,
  NonFiniteLossError,
  NonFiniteStateError,
  type RunOptions,
  type RunResult,
  type StepRecord,
  TrainingSession,
} from './session';
export { assertOffTape } from './offTape';
export type { LossOutput, Position, StageSpec, StepContext } from './stages';
export { stopGradient } from './stopGradient';
export { tapLayers, type TappedOutputs } from './tapLayers';
