import type { ModelAnatomy } from './forward';

/**
 * TinyBERT's uniform layer map: student layer m (1-based) learns from teacher layer
 * g(m) = m * N / M (N teacher layers, M student layers); when M does not divide N, the
 * nearest layer below. For M > N student layers share teacher layers.
 */
export function uniformLayerMap(studentLayers: number, teacherLayers: number): number[] {
  if (studentLayers < 1 || teacherLayers < 1) return [];
  return Array.from({ length: studentLayers }, (_, i) => Math.max(1, Math.floor(((i + 1) * teacherLayers) / studentLayers)));
}

/** Which student hidden state / attention-score tensor is matched with which of the teacher's (indices into `ForwardResult` arrays). */
export interface LayerPairs {
  /** `[student, teacher]` indices into `hidden`: for transformers the embedding pair `[0, 0]` first. */
  hidden: [number, number][];
  /** `[student, teacher]` indices into `scores`. */
  attention: [number, number][];
  /** Whether `hidden[0]` is the embedding pair (reported as the embedding loss). */
  embedding: boolean;
  /** For people: each student layer name and the teacher layer it learns from. */
  names: { student: string; teacher: string }[];
}

/**
 * The pairs TinyBERT's intermediate losses compare. Transformers: embedding outputs, then each
 * student block's output and attention scores against those of teacher block g(m). Other
 * models: each hidden dense layer against teacher hidden layer g(m). Attention pairs need both
 * sides to be transformers.
 */
export function layerPairs(student: ModelAnatomy, teacher: ModelAnatomy): LayerPairs {
  const sLayers = student.hiddenLayers.length - (student.hasEmbedding ? 1 : 0);
  const tLayers = teacher.hiddenLayers.length - (teacher.hasEmbedding ? 1 : 0);
  const map = uniformLayerMap(sLayers, tLayers);
  const embedding = student.hasEmbedding && teacher.hasEmbedding;
  const so = student.hasEmbedding ? 1 : 0;
  const to = teacher.hasEmbedding ? 1 : 0;
  const hidden: [number, number][] = embedding ? [[0, 0]] : [];
  map.forEach((g, i) => hidden.push([i + so, g - 1 + to]));
  const attention: [number, number][] =
    student.encoderLayers.length > 0 && teacher.encoderLayers.length > 0 ? map.map((g, i) => [i, g - 1] as [number, number]) : [];
  const names = hidden.map(([s, t]) => ({ student: student.hiddenLayers[s], teacher: teacher.hiddenLayers[t] }));
  return { hidden, attention, embedding, names };
}
