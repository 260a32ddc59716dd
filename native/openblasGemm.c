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

/**
 * One product C = op(A) op(B) (+ bias, ReLU), row-major, pointers and leading dimensions in
 * floats; or a batch of `count` such products, product u's operands `stride_*` floats after
 * product 0's (`sgemmBatch`: each product is one block).
 */
typedef struct {
  int trans_a, trans_b, m, n, k, lda, ldb, ldc, relu, by_rows, blocks, per_product;
  size_t stride_a, stride_b, stride_c;
  const float *a, *b, *bias;
  float *c;
} product_t;

static void run_block(const product_t *p, int index) {
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

/** Runs p's blocks on `threads` threads, the caller included (on fewer if helpers cannot start). */
static void run_product(const product_t *p, int threads) {
  if (threads > p->blocks) threads = p->blocks;
  if (threads <= 1) {
    for (int i = 0; i < p->blocks; i++) run_block(p, i);
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
  run_job_blocks(0);
  /* The caller's spin: calls are one at a time (call_lock). */
  static long spin = -1;
  if (spin < 0) spin = spin_max;
  long start = now_ns();
  int blocks = p->blocks;
  spin_wait(&spin, job_done, &blocks);
  pthread_mutex_lock(&lock);
  while (atomic_load(&done) < job.blocks) pthread_cond_wait(&finished, &lock);
  pthread_mutex_unlock(&lock);
  adapt_spin(&spin, now_ns() - start);
  pthread_mutex_unlock(&call_lock);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/**
 * sgemm(heap: Float32Array over the whole wasm memory, transA, transB, m, n, k, a, lda, b, ldb,
 * c, ldc, bias (-1: none), relu, threads): offsets and leading dimensions in floats.
 */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 15) return fail(env, "sgemm: 15 arguments");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    return fail(env, "sgemm: the heap must be a Float32Array");
  }
  int64_t v[14];
  for (int i = 0; i < 14; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok) return fail(env, "sgemm: integer arguments");
  }
  product_t p = {
    .trans_a = v[0] != 0, .trans_b = v[1] != 0, .m = (int)v[2], .n = (int)v[3], .k = (int)v[4],
    .lda = (int)v[6], .ldb = (int)v[8], .ldc = (int)v[10], .relu = v[12] != 0,
  };
  int threads = (int)v[13];
  if (p.m <= 0 || p.n <= 0 || p.k <= 0 || threads < 1) return fail(env, "sgemm: m, n, k and threads must be positive");
  /* Every element each operand spans must lie in the heap. */
  int64_t a_end = v[5] + (int64_t)(p.trans_a ? p.k - 1 : p.m - 1) * p.lda + (p.trans_a ? p.m : p.k);
  int64_t b_end = v[7] + (int64_t)(p.trans_b ? p.n - 1 : p.k - 1) * p.ldb + (p.trans_b ? p.k : p.n);
  int64_t c_end = v[9] + (int64_t)(p.m - 1) * p.ldc + p.n;
  int64_t bias_end = v[11] < 0 ? 0 : v[11] + p.n;
  if (v[5] < 0 || v[7] < 0 || v[9] < 0 || a_end > (int64_t)length || b_end > (int64_t)length || c_end > (int64_t)length || bias_end > (int64_t)length) {
    return fail(env, "sgemm: an operand lies outside the heap");
  }
  float *heap = (float *)data;
  p.a = heap + v[5];
  p.b = heap + v[7];
  p.c = heap + v[9];
  p.bias = v[11] < 0 ? NULL : heap + v[11];
  /* Blocks from the shape alone: whole rows or whole columns, along the longer side of C. */
  p.by_rows = p.m >= p.n;
  p.blocks = p.per_product = (int64_t)p.m * p.n * p.k < SPLIT_MIN ? 1 : ((p.by_rows ? p.m : p.n) + BLOCK - 1) / BLOCK;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  run_product(&p, threads);
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
  size_t argc = 17;
  napi_value argv[17];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 17) return fail(env, "sgemmBatch: 17 arguments");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    return fail(env, "sgemmBatch: the heap must be a Float32Array");
  }
  int64_t v[16];
  for (int i = 0; i < 16; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok) return fail(env, "sgemmBatch: integer arguments");
  }
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
  int64_t a_end = v[5] + (count - 1) * v[7] + (int64_t)(p.trans_a ? p.k - 1 : p.m - 1) * p.lda + (p.trans_a ? p.m : p.k);
  int64_t b_end = v[8] + (count - 1) * v[10] + (int64_t)(p.trans_b ? p.n - 1 : p.k - 1) * p.ldb + (p.trans_b ? p.k : p.n);
  int64_t c_end = v[11] + (count - 1) * v[13] + (int64_t)(p.m - 1) * p.ldc + p.n;
  if (v[5] < 0 || v[8] < 0 || v[11] < 0 || a_end > (int64_t)length || b_end > (int64_t)length || c_end > (int64_t)length) {
    return fail(env, "sgemmBatch: an operand lies outside the heap");
  }
  float *heap = (float *)data;
  p.a = heap + v[5];
  p.b = heap + v[8];
  p.c = heap + v[11];
  p.stride_a = (size_t)v[7];
  p.stride_b = (size_t)v[10];
  p.stride_c = (size_t)v[13];
  p.blocks = (int)count;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  run_product(&p, threads);
  return NULL;
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
  napi_create_function(env, "sgemmBatch", NAPI_AUTO_LENGTH, SgemmBatch, NULL, &f);
  napi_set_named_property(env, exports, "sgemmBatch", f);
  napi_create_function(env, "helperBlocks", NAPI_AUTO_LENGTH, HelperBlocks, NULL, &f);
  napi_set_named_property(env, exports, "helperBlocks", f);
  napi_create_function(env, "describe", NAPI_AUTO_LENGTH, Describe, NULL, &f);
  napi_set_named_property(env, exports, "describe", f);
  return exports;
}
