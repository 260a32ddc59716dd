/*
 * Model Lab's optional native matrix product: OpenBLAS's cblas_sgemm on the tfjs wasm backend's
 * float32 tensors, in place (N-API; src/core/tensor/wasm/nativeGemm.ts loads it, scripts/native/
 * build.mjs compiles it to dist/openblasGemm.node).
 *
 * OpenBLAS is not linked: it is opened at load time (dlopen of libopenblas.so.0, the system's,
 * e.g. Debian's libopenblas0), so nothing of it is shipped, and loading fails cleanly (the wasm
 * product runs) where it is missing.
 *
 * Bit-identical for any thread count: OpenBLAS's own threads are not (its results at 2, 3, 4
 * threads differ from 1 thread's in 10-25% of the elements of our products; docs/performance.md),
 * and neither is one call against the same columns computed as a narrower call. So OpenBLAS runs
 * on one thread per call, and a product is cut into blocks that depend on its shape only
 * (`BLOCK` whole rows or whole columns, never along the sum): each block is one cblas_sgemm, and
 * the thread count only decides which thread computes which block.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <immintrin.h>
#include <time.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef char *(*name_fn)(void);

static sgemm_fn sgemm;
static set_threads_fn set_threads;
static name_fn corename;
static char library[256];

/** Rows or columns per block, and multiply-adds below which a product is one block. */
#define BLOCK 128
#define SPLIT_MIN (1 << 20)
#define MAX_THREADS 64

/*
 * Elementwise jobs on the same threads (round 9): the Adam step and a dense layer's bias/ReLU
 * gradient, so a fused training step's threaded parts all run on one pool (no second pool's
 * helper waking and spinning on the same cores between products). Each is the wasm kernel's
 * arithmetic (src/core/tensor/wasm/assembly/kernels.ts `adam`, `biasActivationGrad`,
 * `biasActivationGradRows` + `sumBlocks`) operation for operation in float32 / float64, no
 * contraction into FMA, so the results are that kernel's bit for bit, for any blocks.
 */
/* No FMA contraction: -std=c11 (not gnu11) keeps -ffp-contract=off, and the intrinsics below are separate operations. */
enum { KIND_PRODUCT, KIND_ADAM, KIND_BIAS_GRAD, KIND_ADAM_MANY };
/** Elements per Adam block, columns per bias-gradient block (fixed; any split gives the same bits). */
#define ADAM_BLOCK 16384
#define BIAS_GRAD_COLS 64
typedef struct {
  const float *g, *w, *m, *v;
  float *w_out, *m_out, *v_out;
  long n;
  float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, epsilon, one_minus_acc_beta1, one_minus_acc_beta2;
} adam_t;
/** dz = dy (y > 0) (relu), db = column sums of dz in float64; block_rows > 0: rows in blocks of that many, sums per block into acc, then the blocks' sums in order. */
typedef struct {
  const float *dy, *y;
  float *dz, *db;
  double *acc;
  int rows, cols, relu, block_rows;
} bias_grad_t;

/**
 * The Adam steps of several variables as one job (`adamMany`, round 10): variable j's blocks are
 * first[j]..first[j + 1] - 1 of the job, each the block `adam` would run for it alone.
 */
typedef struct {
  adam_t *vars;
  int *first;
  int count;
} adam_many_t;

/**
 * One product C = op(A) op(B) (+ bias, ReLU), row-major, pointers and leading dimensions in
 * floats; or a batch of `count` such products, product u's operands `stride_*` floats after
 * product 0's (`sgemmBatch`: each product is one block). Or, kind != 0, an elementwise job.
 */
typedef struct {
  int trans_a, trans_b, m, n, k, lda, ldb, ldc, relu, by_rows, blocks, per_product;
  size_t stride_a, stride_b, stride_c;
  const float *a, *b, *bias;
  float *c;
  int kind;
  adam_t adam;
  bias_grad_t bias_grad;
  adam_many_t adam_many;
  /** malloc'd memory the job reads (its own arrays), freed once it is done. */
  void *owned;
} product_t;

/** Adam on elements k0..k1, 8 at a time (AVX: the same IEEE operations per element as one at a time), the rest one by one. */
__attribute__((target("avx"))) static long adam_avx(const adam_t *a, long k0, long k1) {
  const __m256 b1 = _mm256_set1_ps(a->beta1), b2 = _mm256_set1_ps(a->beta2), c1 = _mm256_set1_ps(a->one_minus_beta1),
    c2 = _mm256_set1_ps(a->one_minus_beta2), d1 = _mm256_set1_ps(a->one_minus_acc_beta1), d2 = _mm256_set1_ps(a->one_minus_acc_beta2),
    eps = _mm256_set1_ps(a->epsilon), step = _mm256_set1_ps(-a->lr);
  long k = k0;
  for (; k + 8 <= k1; k += 8) {
    __m256 g = _mm256_loadu_ps(a->g + k);
    __m256 m = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a->m + k), b1), _mm256_mul_ps(g, c1));
    __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a->v + k), b2), _mm256_mul_ps(_mm256_mul_ps(g, g), c2));
    __m256 update = _mm256_div_ps(_mm256_div_ps(m, d1), _mm256_add_ps(_mm256_sqrt_ps(_mm256_div_ps(v, d2)), eps));
    __m256 w = _mm256_add_ps(_mm256_mul_ps(update, step), _mm256_loadu_ps(a->w + k));
    _mm256_storeu_ps(a->m_out + k, m);
    _mm256_storeu_ps(a->v_out + k, v);
    _mm256_storeu_ps(a->w_out + k, w);
  }
  return k;
}

static void run_adam_block(const adam_t *a, int index) {
  long k0 = (long)index * ADAM_BLOCK, k1 = k0 + ADAM_BLOCK < a->n ? k0 + ADAM_BLOCK : a->n;
  if (__builtin_cpu_supports("avx")) k0 = adam_avx(a, k0, k1);
  const float step = -a->lr;
  for (long k = k0; k < k1; k++) {
    float g = a->g[k];
    float m = a->m[k] * a->beta1 + g * a->one_minus_beta1;
    float v = a->v[k] * a->beta2 + (g * g) * a->one_minus_beta2;
    float update = (m / a->one_minus_acc_beta1) / (_mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v / a->one_minus_acc_beta2))) + a->epsilon);
    float w = a->w[k];
    a->m_out[k] = m;
    a->v_out[k] = v;
    a->w_out[k] = update * step + w;
  }
}

/**
 * Rows r0..r1 of columns c0..c1: dz, and each column's float64 sum of them (in row order) into
 * acc[c]. Four columns at a time (SSE2: the same float32 select and float64 adds per element as
 * one at a time), the rest one by one.
 */
static void bias_grad_rows(const bias_grad_t *p, int r0, int r1, int c0, int c1, double *restrict acc) {
  const int cols = p->cols, relu = p->relu, v1 = c0 + ((c1 - c0) & ~3);
  const __m128 zero = _mm_setzero_ps();
  for (int c = c0; c < c1; c++) acc[c] = 0;
  for (int r = r0; r < r1; r++) {
    const float *restrict dy = p->dy + (size_t)r * cols;
    const float *restrict y = relu ? p->y + (size_t)r * cols : NULL;
    float *restrict dz = relu ? p->dz + (size_t)r * cols : NULL;
    for (int c = c0; c < v1; c += 4) {
      __m128 v = _mm_loadu_ps(dy + c);
      if (relu) {
        v = _mm_and_ps(v, _mm_cmpgt_ps(_mm_loadu_ps(y + c), zero));
        _mm_storeu_ps(dz + c, v);
      }
      _mm_storeu_pd(acc + c, _mm_add_pd(_mm_loadu_pd(acc + c), _mm_cvtps_pd(v)));
      _mm_storeu_pd(acc + c + 2, _mm_add_pd(_mm_loadu_pd(acc + c + 2), _mm_cvtps_pd(_mm_movehl_ps(v, v))));
    }
    for (int c = v1; c < c1; c++) {
      float v = dy[c];
      if (relu) dz[c] = v = y[c] > 0.0f ? v : 0.0f;
      acc[c] += (double)v;
    }
  }
}

static void run_bias_grad_block(const bias_grad_t *p, int index) {
  if (p->block_rows > 0) {
    int r0 = index * p->block_rows, r1 = r0 + p->block_rows < p->rows ? r0 + p->block_rows : p->rows;
    bias_grad_rows(p, r0, r1, 0, p->cols, p->acc + (size_t)index * p->cols);
    return;
  }
  int c0 = index * BIAS_GRAD_COLS, c1 = c0 + BIAS_GRAD_COLS < p->cols ? c0 + BIAS_GRAD_COLS : p->cols;
  bias_grad_rows(p, 0, p->rows, c0, c1, p->acc);
  for (int c = c0; c < c1; c++) p->db[c] = (float)p->acc[c];
}

static void run_adam_many_block(const adam_many_t *a, int index) {
  int j = 0;
  while (j + 1 < a->count && a->first[j + 1] <= index) j++;
  run_adam_block(&a->vars[j], index - a->first[j]);
}

static void run_block(const product_t *p, int index) {
  if (p->kind == KIND_ADAM) { run_adam_block(&p->adam, index); return; }
  if (p->kind == KIND_ADAM_MANY) { run_adam_many_block(&p->adam_many, index); return; }
  if (p->kind == KIND_BIAS_GRAD) { run_bias_grad_block(&p->bias_grad, index); return; }
  int i0 = 0, j0 = 0, m = p->m, n = p->n;
  size_t u = (size_t)(index / p->per_product);
  index %= p->per_product;
  if (p->per_product > 1) {
    if (p->by_rows) { i0 = index * BLOCK; m = p->m - i0 < BLOCK ? p->m - i0 : BLOCK; }
    else { j0 = index * BLOCK; n = p->n - j0 < BLOCK ? p->n - j0 : BLOCK; }
  }
  const float *a = p->a + u * p->stride_a + (p->trans_a ? i0 : (size_t)i0 * p->lda);
  const float *b = p->b + u * p->stride_b + (p->trans_b ? (size_t)j0 * p->ldb : j0);
  float *c = p->c + u * p->stride_c + (size_t)i0 * p->ldc + j0;
  sgemm(ROW_MAJOR, p->trans_a ? TRANS : NO_TRANS, p->trans_b ? TRANS : NO_TRANS, m, n, p->k, 1.0f, a, p->lda, b, p->ldb, 0.0f, c, p->ldc);
  if (!p->bias && !p->relu) return;
  for (int i = 0; i < m; i++) {
    float *row = c + (size_t)i * p->ldc;
    for (int j = 0; j < n; j++) {
      float v = p->bias ? row[j] + p->bias[j0 + j] : row[j];
      row[j] = p->relu && !(v > 0.0f) ? (v != v ? v : 0.0f) : v;
    }
  }
}

/*
 * Helper threads, started on demand and woken per product by a generation counter. Every thread
 * (the caller included) claims blocks from `next`; the caller waits for the blocks to be done, not
 * for the helpers to wake: on a busy machine a helper that gets no core leaves its share to the
 * caller instead of stalling the call. A helper that wakes late may still be looking at the last
 * product, so the next one is written only once no helper is `active`.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER, call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, finished = PTHREAD_COND_INITIALIZER, idle = PTHREAD_COND_INITIALIZER;
static int helpers, participants, active;
static atomic_ulong generation;
static product_t job;
static atomic_int next, done;
/** Blocks the helper threads computed (tests: shows they took part). */
static atomic_long helper_blocks;

/*
 * Spinning before sleeping, as the wasm kernels' threads do (src/core/util/wasmThreads.ts,
 * `waitWhile`): a thread woken from a condition variable starts tens of microseconds after the
 * signal, and a training step runs a product every few hundred microseconds, so helpers spin a
 * little after a product (they are running when the next one comes) and the caller spins for the
 * last block. Adaptive: a wait that ended within `spin_max` doubles the thread's spin (up to
 * spin_max), a longer one halves it (down to nothing), so on a busy machine it shrinks instead of
 * burning CPU. `MODEL_LAB_NATIVE_SPIN_US`, else `MODEL_LAB_THREAD_SPIN_US` (the wasm threads'
 * setting), sets spin_max (default 100 µs; 0: sleep at once, as before round 9).
 */
static long spin_max = 100000;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

/** Spins up to *spin ns while ready(arg) is false. */
static void spin_wait(const long *spin, int (*ready)(const void *), const void *arg) {
  if (*spin <= 0) return;
  long until = now_ns() + *spin;
  do {
    for (int k = 0; k < 64; k++) {
      if (ready(arg)) return;
      __asm__ volatile("pause");
    }
  } while (now_ns() < until);
}

/** Adapts a thread's spin to a wait that took `waited` ns (spin and sleep). */
static void adapt_spin(long *spin, long waited) {
  if (spin_max <= 0) return;
  if (waited < spin_max) {
    long twice = 2 * *spin < spin_max / 64 ? spin_max / 64 : 2 * *spin;
    *spin = twice > spin_max ? spin_max : twice;
  } else {
    *spin = *spin < spin_max / 64 ? 0 : *spin / 2;
  }
}

static int generation_moved(const void *seen) { return atomic_load(&generation) != *(const unsigned long *)seen; }
static int job_done(const void *blocks) { return atomic_load(&done) >= *(const int *)blocks; }

static void run_job_blocks(int helper) {
  for (int i; (i = atomic_fetch_add(&next, 1)) < job.blocks;) {
    run_block(&job, i);
    if (helper) atomic_fetch_add(&helper_blocks, 1);
    if (atomic_fetch_add(&done, 1) + 1 == job.blocks) {
      pthread_mutex_lock(&lock);
      pthread_cond_signal(&finished);
      pthread_mutex_unlock(&lock);
    }
  }
}

static void *helper(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned long seen = 0;
  long spin = spin_max;
  /* One OpenBLAS thread in this thread too: OpenMP builds keep the thread count per thread (an
   * OpenMP ICV), so a helper left at the default runs each block on every core, with other results. */
  set_threads(1);
  /* Named, so a profiler tells them from the wasm pool's threads (scripts/bench/stepProfile.ts). */
  pthread_setname_np(pthread_self(), "modellab-gemm");
  for (;;) {
    long start = now_ns();
    spin_wait(&spin, generation_moved, &seen);
    pthread_mutex_lock(&lock);
    while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &lock);
    adapt_spin(&spin, now_ns() - start);
    seen = atomic_load(&generation);
    if (id >= participants) {
      pthread_mutex_unlock(&lock);
      continue;
    }
    active++;
    pthread_mutex_unlock(&lock);
    run_job_blocks(1);
    pthread_mutex_lock(&lock);
    if (--active == 0) pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

/*
 * Where the caller's CPU goes (MODEL_LAB_NATIVE_STATS=1; scripts/bench/stepProfile.ts): its thread
 * CPU inside jobs of several blocks (the part threads can share) and of one block (serial), so
 * that a 1-thread run measures a step's serial fraction by construction, whatever the load.
 */
static int stats_on;
static atomic_long caller_parallel_ns, caller_serial_ns;
/*
 * And (round 10) the CPU of `adamMany` calls, and the calling thread's CPU from an `adamMany`'s
 * return to its next call into the module (or `fence()`): the window a job left behind can fill.
 */
static atomic_long caller_adam_ns, caller_window_ns;
static long window_start = -1;

/** Ends the window after an `adamMany` (stats only; the calling thread's clock). */
static void end_window(void);

static long thread_cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_product_threads(const product_t *p, int threads, int behind);

static void finish_behind(void);

/**
 * Runs p's blocks on `threads` threads, the caller included (on fewer if helpers cannot start).
 * `behind` (round 10): the helpers start on the blocks and the call returns at once; the caller
 * joins what is left at the next call into this module or at `fence()` (`finish_behind`).
 */
static void run_product(const product_t *p, int threads, int behind) {
  end_window();
  finish_behind();
  if (!stats_on) { run_product_threads(p, threads, behind); return; }
  long start = thread_cpu_ns();
  run_product_threads(p, threads, behind);
  atomic_fetch_add(p->blocks > 1 ? &caller_parallel_ns : &caller_serial_ns, thread_cpu_ns() - start);
}

/*
 * A job left running behind the caller (`behind`): its thread holds call_lock until it joins it,
 * so no other job starts before it is done; `behind_alloc` is freed then (the job's own arrays).
 * Only the thread that started it joins it; another caller waits on call_lock.
 */
static atomic_int behind_pending;
static pthread_t behind_owner;
static void *behind_alloc;

/** The caller's wait for the last block of the job (spinning first, as the helpers do). */
static void wait_job_done(void) {
  /* The caller's spin: calls are one at a time (call_lock). */
  static long spin = -1;
  if (spin < 0) spin = spin_max;
  long start = now_ns();
  int blocks = job.blocks;
  spin_wait(&spin, job_done, &blocks);
  pthread_mutex_lock(&lock);
  while (atomic_load(&done) < job.blocks) pthread_cond_wait(&finished, &lock);
  pthread_mutex_unlock(&lock);
  adapt_spin(&spin, now_ns() - start);
}

/** Joins the job left behind by this thread, if any: computes blocks no helper took, waits for the rest. */
static void finish_behind(void) {
  if (!behind_pending || !pthread_equal(behind_owner, pthread_self())) return;
  long start = stats_on ? thread_cpu_ns() : 0;
  run_job_blocks(0);
  wait_job_done();
  behind_pending = 0;
  free(behind_alloc);
  behind_alloc = NULL;
  if (stats_on) atomic_fetch_add(&caller_parallel_ns, thread_cpu_ns() - start);
  pthread_mutex_unlock(&call_lock);
}

static void end_window(void) {
  if (!stats_on || window_start < 0) return;
  atomic_fetch_add(&caller_window_ns, thread_cpu_ns() - window_start);
  window_start = -1;
}

static void run_product_threads(const product_t *p, int threads, int behind) {
  if (threads > p->blocks) threads = p->blocks;
  if (threads <= 1) {
    for (int i = 0; i < p->blocks; i++) run_block(p, i);
    free(p->owned);
    return;
  }
  pthread_mutex_lock(&call_lock);
  pthread_mutex_lock(&lock);
  while (helpers < threads - 1) {
    pthread_t t;
    if (pthread_create(&t, NULL, helper, (void *)(intptr_t)helpers) != 0) break;
    pthread_detach(t);
    helpers++;
  }
  while (active > 0) pthread_cond_wait(&idle, &lock);
  job = *p;
  atomic_store(&next, 0);
  atomic_store(&done, 0);
  participants = threads - 1 < helpers ? threads - 1 : helpers;
  atomic_fetch_add(&generation, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  if (behind && participants > 0) {
    behind_pending = 1;
    behind_owner = pthread_self();
    behind_alloc = p->owned;
    return;
  }
  run_job_blocks(0);
  wait_job_done();
  free(p->owned);
  pthread_mutex_unlock(&call_lock);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/** Reads `count` number arguments after the heap (argv[0]); the heap's data and length in floats. */
static int heap_args(napi_env env, napi_callback_info info, size_t count, float **heap, size_t *length, double *v) {
  napi_value argv[20];
  size_t argc = 20;
  napi_typedarray_type type;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1 || count + 1 > 20) return 0;
  if (napi_get_typedarray_info(env, argv[0], &type, length, &data, NULL, NULL) != napi_ok || type != napi_float32_array) return 0;
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_double(env, argv[i + 1], &v[i]) != napi_ok) return 0;
  }
  *heap = (float *)data;
  return 1;
}

/** Every offset (in floats) with `n` floats from it lies in the heap. */
static int in_heap(const double *offsets, int count, double n, size_t length) {
  for (int i = 0; i < count; i++) {
    if (!(offsets[i] >= 0 && offsets[i] + n <= (double)length)) return 0;
  }
  return 1;
}

/** heap_args with the numbers as integers (offsets, sizes, flags); NaN or beyond 2^53 refused. */
static int heap_int_args(napi_env env, napi_callback_info info, size_t count, float **heap, size_t *length, int64_t *v) {
  double d[19];
  if (count > 19 || !heap_args(env, info, count, heap, length, d)) return 0;
  for (size_t i = 0; i < count; i++) {
    if (!(d[i] >= -9007199254740992.0 && d[i] <= 9007199254740992.0)) return 0;
    v[i] = (int64_t)d[i];
  }
  return 1;
}

/**
 * Whether op(A), op(B) and C of `count` products (product u's operands `s*` floats after product
 * 0's at offsets a, b, c) lie in a heap of `length` floats: every element each one spans.
 */
static int operands_in_heap(const product_t *p, int64_t a, int64_t b, int64_t c, int64_t count, int64_t sa, int64_t sb, int64_t sc, size_t length) {
  int64_t a_end = a + (count - 1) * sa + (int64_t)(p->trans_a ? p->k - 1 : p->m - 1) * p->lda + (p->trans_a ? p->m : p->k);
  int64_t b_end = b + (count - 1) * sb + (int64_t)(p->trans_b ? p->n - 1 : p->k - 1) * p->ldb + (p->trans_b ? p->k : p->n);
  int64_t c_end = c + (count - 1) * sc + (int64_t)(p->m - 1) * p->ldc + p->n;
  return a >= 0 && b >= 0 && c >= 0 && a_end <= (int64_t)length && b_end <= (int64_t)length && c_end <= (int64_t)length;
}

/**
 * sgemm(heap: Float32Array over the whole wasm memory, transA, transB, m, n, k, a, lda, b, ldb,
 * c, ldc, bias (-1: none), relu, threads): offsets and leading dimensions in floats.
 */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  int64_t v[14];
  if (!heap_int_args(env, info, 14, &heap, &length, v)) return fail(env, "sgemm: a Float32Array heap and 14 integers");
  product_t p = {
    .trans_a = v[0] != 0, .trans_b = v[1] != 0, .m = (int)v[2], .n = (int)v[3], .k = (int)v[4],
    .lda = (int)v[6], .ldb = (int)v[8], .ldc = (int)v[10], .relu = v[12] != 0,
  };
  int threads = (int)v[13];
  if (p.m <= 0 || p.n <= 0 || p.k <= 0 || threads < 1) return fail(env, "sgemm: m, n, k and threads must be positive");
  /* Every element each operand spans must lie in the heap. */
  int64_t bias_end = v[11] < 0 ? 0 : v[11] + p.n;
  if (!operands_in_heap(&p, v[5], v[7], v[9], 1, 0, 0, 0, length) || bias_end > (int64_t)length) {
    return fail(env, "sgemm: an operand lies outside the heap");
  }
  p.a = heap + v[5];
  p.b = heap + v[7];
  p.c = heap + v[9];
  p.bias = v[11] < 0 ? NULL : heap + v[11];
  /* Blocks from the shape alone: whole rows or whole columns, along the longer side of C. */
  p.by_rows = p.m >= p.n;
  p.blocks = p.per_product = (int64_t)p.m * p.n * p.k < SPLIT_MIN ? 1 : ((p.by_rows ? p.m : p.n) + BLOCK - 1) / BLOCK;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  run_product(&p, threads, 0);
  return NULL;
}

/**
 * sgemmBatch(heap, transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC,
 * count, threads): `count` products C_u = op(A_u) op(B_u), product u's operands and result
 * `stride*` floats after product 0's (e.g. the 36 strided products of a Winograd layer). Each
 * product is one block, one single-threaded cblas_sgemm, whichever thread runs it: bit-identical
 * for any thread count. Offsets, leading dimensions and strides in floats.
 */
static napi_value SgemmBatch(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  int64_t v[16];
  if (!heap_int_args(env, info, 16, &heap, &length, v)) return fail(env, "sgemmBatch: a Float32Array heap and 16 integers");
  product_t p = {
    .trans_a = v[0] != 0, .trans_b = v[1] != 0, .m = (int)v[2], .n = (int)v[3], .k = (int)v[4],
    .lda = (int)v[6], .ldb = (int)v[9], .ldc = (int)v[12], .per_product = 1,
  };
  int64_t count = v[14];
  int threads = (int)v[15];
  if (p.m <= 0 || p.n <= 0 || p.k <= 0 || threads < 1 || count < 1 || count > (1 << 20)) {
    return fail(env, "sgemmBatch: m, n, k, count and threads must be positive");
  }
  if (v[7] < 0 || v[10] < 0 || v[13] < 0) return fail(env, "sgemmBatch: strides must not be negative");
  /* Every element each operand spans, in the last product of the batch, must lie in the heap. */
  if (!operands_in_heap(&p, v[5], v[8], v[11], count, v[7], v[10], v[13], length)) {
    return fail(env, "sgemmBatch: an operand lies outside the heap");
  }
  p.a = heap + v[5];
  p.b = heap + v[8];
  p.c = heap + v[11];
  p.stride_a = (size_t)v[7];
  p.stride_b = (size_t)v[10];
  p.stride_c = (size_t)v[13];
  p.blocks = (int)count;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  run_product(&p, threads, 0);
  return NULL;
}

/**
 * adam(heap, w, g, m, v, wOut, mOut, vOut, n, lr, beta1, beta2, 1 - beta1, 1 - beta2, epsilon,
 * 1 - beta1^t, 1 - beta2^t, threads): offsets in floats; the floats are rounded to float32 as the
 * wasm kernel's arguments are. Out may be w, m, v themselves (each element is read before it is written).
 */
static napi_value Adam(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  double v[17];
  if (!heap_args(env, info, 17, &heap, &length, v)) return fail(env, "adam: a Float32Array heap and 17 numbers");
  long n = (long)v[7];
  int threads = (int)v[16];
  if (n <= 0 || threads < 1 || !in_heap(v, 7, (double)n, length)) return fail(env, "adam: n, threads positive and every operand in the heap");
  product_t p = {.kind = KIND_ADAM, .blocks = (int)((n + ADAM_BLOCK - 1) / ADAM_BLOCK)};
  p.adam = (adam_t){
    .w = heap + (long)v[0], .g = heap + (long)v[1], .m = heap + (long)v[2], .v = heap + (long)v[3],
    .w_out = heap + (long)v[4], .m_out = heap + (long)v[5], .v_out = heap + (long)v[6], .n = n,
    .lr = (float)v[8], .beta1 = (float)v[9], .beta2 = (float)v[10], .one_minus_beta1 = (float)v[11], .one_minus_beta2 = (float)v[12],
    .epsilon = (float)v[13], .one_minus_acc_beta1 = (float)v[14], .one_minus_acc_beta2 = (float)v[15],
  };
  run_product(&p, threads > MAX_THREADS ? MAX_THREADS : threads, 0);
  return NULL;
}

/**
 * adamMany(heap, variables: Float64Array of [w, g, m, v, n] per variable (offsets in floats), lr,
 * beta1, beta2, 1 - beta1, 1 - beta2, epsilon, 1 - beta1^t, 1 - beta2^t, threads, behind): the
 * Adam step of every variable in place (w, m, v written), as one job of each variable's `adam`
 * blocks: the same results bit for bit, one dispatch instead of one per variable. With `behind`
 * (and more than one thread) it returns once the helpers have the job; the caller joins it at its
 * next call into this module or at `fence()`, and must not touch w, g, m, v before then.
 */
static napi_value AdamMany(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  size_t argc = 12;
  napi_typedarray_type type;
  size_t length, count;
  void *data, *vars_data;
  double f[11];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 12 ||
    napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array ||
    napi_get_typedarray_info(env, argv[1], &type, &count, &vars_data, NULL, NULL) != napi_ok || type != napi_float64_array || count % 5 != 0) {
    return fail(env, "adamMany: a Float32Array heap, a Float64Array of [w, g, m, v, n] per variable and 10 numbers");
  }
  for (int i = 0; i < 10; i++) {
    if (napi_get_value_double(env, argv[i + 2], &f[i]) != napi_ok) return fail(env, "adamMany: 10 numbers after the variables");
  }
  int threads = (int)f[8], behind = f[9] != 0;
  int vars = (int)(count / 5);
  const double *v = vars_data;
  if (vars < 1 || threads < 1) return fail(env, "adamMany: at least one variable, threads positive");
  for (int j = 0; j < vars; j++) {
    double n = v[5 * j + 4];
    if (!(n >= 1 && n <= 2147483647.0) || !in_heap(v + 5 * j, 4, n, length)) return fail(env, "adamMany: n positive and every operand in the heap");
  }
  char *owned = malloc(sizeof(adam_t) * vars + sizeof(int) * (vars + 1));
  if (!owned) return fail(env, "adamMany: out of memory");
  float *heap = data;
  product_t p = {.kind = KIND_ADAM_MANY, .owned = owned};
  p.adam_many = (adam_many_t){.vars = (adam_t *)owned, .first = (int *)(owned + sizeof(adam_t) * vars), .count = vars};
  int blocks = 0;
  for (int j = 0; j < vars; j++) {
    long n = (long)v[5 * j + 4];
    float *w = heap + (long)v[5 * j], *m = heap + (long)v[5 * j + 2], *vv = heap + (long)v[5 * j + 3];
    p.adam_many.vars[j] = (adam_t){
      .w = w, .g = heap + (long)v[5 * j + 1], .m = m, .v = vv, .w_out = w, .m_out = m, .v_out = vv, .n = n,
      .lr = (float)f[0], .beta1 = (float)f[1], .beta2 = (float)f[2], .one_minus_beta1 = (float)f[3], .one_minus_beta2 = (float)f[4],
      .epsilon = (float)f[5], .one_minus_acc_beta1 = (float)f[6], .one_minus_acc_beta2 = (float)f[7],
    };
    p.adam_many.first[j] = blocks;
    blocks += (int)((n + ADAM_BLOCK - 1) / ADAM_BLOCK);
  }
  p.adam_many.first[vars] = blocks;
  p.blocks = blocks;
  long start = stats_on ? thread_cpu_ns() : 0;
  run_product(&p, threads > MAX_THREADS ? MAX_THREADS : threads, behind);
  if (stats_on) {
    window_start = thread_cpu_ns();
    atomic_fetch_add(&caller_adam_ns, window_start - start);
  }
  return NULL;
}

/** fence(): joins the job this thread left running behind it (`adamMany`'s behind), if any. */
static napi_value Fence(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  end_window();
  finish_behind();
  return NULL;
}

/**
 * biasActivationGrad(heap, dy, y, dz (-1: no ReLU), db, rows, cols, blockRows (0: whole columns), threads):
 * offsets in floats. The wasm kernels' blocks (src/core/tensor/wasm/threads.ts
 * `biasActivationGradThreaded`): with blockRows, fixed blocks of rows whose float64 sums are added
 * in order; else whole columns.
 */
static napi_value BiasActivationGrad(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  double v[8];
  if (!heap_args(env, info, 8, &heap, &length, v)) return fail(env, "biasActivationGrad: a Float32Array heap and 8 numbers");
  int rows = (int)v[4], cols = (int)v[5], block_rows = (int)v[6], threads = (int)v[7], relu = v[2] >= 0;
  double matrices[3] = {v[0], relu ? v[1] : 0, relu ? v[2] : 0};
  if (rows <= 0 || cols <= 0 || block_rows < 0 || threads < 1 || !in_heap(matrices, 3, (double)rows * cols, length) || !in_heap(&v[3], 1, cols, length)) {
    return fail(env, "biasActivationGrad: rows, cols, threads positive and every operand in the heap");
  }
  int blocks = block_rows > 0 ? (rows + block_rows - 1) / block_rows : (cols + BIAS_GRAD_COLS - 1) / BIAS_GRAD_COLS;
  double *acc = malloc(sizeof(double) * cols * (block_rows > 0 ? blocks : 1));
  if (!acc) return fail(env, "biasActivationGrad: out of memory");
  product_t p = {.kind = KIND_BIAS_GRAD, .blocks = blocks};
  p.bias_grad = (bias_grad_t){
    .dy = heap + (long)v[0], .y = relu ? heap + (long)v[1] : NULL, .dz = relu ? heap + (long)v[2] : NULL, .db = heap + (long)v[3],
    .acc = acc, .rows = rows, .cols = cols, .relu = relu, .block_rows = block_rows,
  };
  run_product(&p, threads > MAX_THREADS ? MAX_THREADS : threads, 0);
  if (block_rows > 0) {
    for (int c = 0; c < cols; c++) {
      double sum = 0;
      for (int b = 0; b < blocks; b++) sum += acc[(size_t)b * cols + c];
      p.bias_grad.db[c] = (float)sum;
    }
  }
  free(acc);
  return NULL;
}

/**
 * callerCpu(): ns of the callers' thread CPU [in jobs of several blocks, in jobs of one block, in
 * `adamMany` calls, from an `adamMany`'s return to the next call] (MODEL_LAB_NATIVE_STATS=1, else zeros).
 */
static napi_value CallerCpu(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  long values[4] = {atomic_load(&caller_parallel_ns), atomic_load(&caller_serial_ns), atomic_load(&caller_adam_ns), atomic_load(&caller_window_ns)};
  napi_create_array_with_length(env, 4, &out);
  for (int i = 0; i < 4; i++) {
    napi_create_int64(env, values[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

static napi_value HelperBlocks(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int64(env, atomic_load(&helper_blocks), &v);
  return v;
}

/** describe(): which library and which of its CPU kernels ran (OpenBLAS picks them at load time). */
static napi_value Describe(napi_env env, napi_callback_info info) {
  (void)info;
  char text[512];
  snprintf(text, sizeof text, "%s (%s)", library, corename ? corename() : "unknown core");
  napi_value s;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s);
  return s;
}

NAPI_MODULE_INIT() {
  const char *candidates[] = {getenv("MODEL_LAB_OPENBLAS"), "libopenblas.so.0", "libopenblas.so"};
  void *handle = NULL;
  for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !handle; i++) {
    if (!candidates[i] || !*candidates[i]) continue;
    handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
    if (handle) snprintf(library, sizeof library, "%s", candidates[i]);
  }
  if (!handle) return fail(env, "OpenBLAS not found (libopenblas.so.0)");
  sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
  corename = (name_fn)dlsym(handle, "openblas_get_corename");
  if (!sgemm || !set_threads) return fail(env, "the library has no cblas_sgemm / openblas_set_num_threads");
  /* One OpenBLAS thread per call: threads are this module's, over fixed blocks (see the top). */
  set_threads(1);
  const char *spin_us = getenv("MODEL_LAB_NATIVE_SPIN_US");
  if (!spin_us || !*spin_us) spin_us = getenv("MODEL_LAB_THREAD_SPIN_US");
  if (spin_us && *spin_us) {
    double us = strtod(spin_us, NULL);
    spin_max = us > 0 ? (long)(us * 1000) : 0;
  }
  napi_value f;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, NULL, &f);
  napi_set_named_property(env, exports, "sgemm", f);
  napi_create_function(env, "adam", NAPI_AUTO_LENGTH, Adam, NULL, &f);
  napi_set_named_property(env, exports, "adam", f);
  napi_create_function(env, "adamMany", NAPI_AUTO_LENGTH, AdamMany, NULL, &f);
  napi_set_named_property(env, exports, "adamMany", f);
  napi_create_function(env, "fence", NAPI_AUTO_LENGTH, Fence, NULL, &f);
  napi_set_named_property(env, exports, "fence", f);
  napi_create_function(env, "biasActivationGrad", NAPI_AUTO_LENGTH, BiasActivationGrad, NULL, &f);
  napi_set_named_property(env, exports, "biasActivationGrad", f);
  __builtin_cpu_init(); /* for __builtin_cpu_supports("avx") (Adam) */
  const char *stats = getenv("MODEL_LAB_NATIVE_STATS");
  stats_on = stats && *stats && *stats != '0';
  napi_create_function(env, "callerCpu", NAPI_AUTO_LENGTH, CallerCpu, NULL, &f);
  napi_set_named_property(env, exports, "callerCpu", f);
  napi_create_function(env, "sgemmBatch", NAPI_AUTO_LENGTH, SgemmBatch, NULL, &f);
  napi_set_named_property(env, exports, "sgemmBatch", f);
  napi_create_function(env, "helperBlocks", NAPI_AUTO_LENGTH, HelperBlocks, NULL, &f);
  napi_set_named_property(env, exports, "helperBlocks", f);
  napi_create_function(env, "describe", NAPI_AUTO_LENGTH, Describe, NULL, &f);
  napi_set_named_property(env, exports, "describe", f);
  return exports;
}
