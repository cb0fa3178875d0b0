/* The machine's limit for the wasm kernel's arithmetic, for the README's
 * performance notes: GFLOP/s of 128-bit double multiply + add (what the
 * mul-add variant compiles to), of 128-bit fused multiply-add (the fma
 * variant) and, for scale, of 256-bit FMA (what OpenBLAS uses), each on
 * independent accumulators with no memory traffic, on one core. Then the
 * clock (a chain of dependent integer adds, one a cycle: a VM's /proc/cpuinfo
 * shows only the nominal figure) and the cycles of one 128-bit FMA's latency
 * (one accumulator, each step waiting for the last), to compare a kernel
 * loop's time per step with what its chains of multiply-adds allow.
 *
 *   gcc -O2 -ffp-contract=off -o /tmp/simd-peak scripts/simd-peak.c && /tmp/simd-peak
 *
 * (-ffp-contract=off: GCC would otherwise fuse the mul + add kernel's
 * intrinsics into FMAs wherever the target has them.) x86-64 only; the FMA
 * lines need a CPU with FMA3 (and AVX2 for 256-bit).
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define STEPS 100000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One kernel per instruction set: N accumulators, each step c = STEP(c, x,
 * y[i % YS]) with x changed (opaquely, by the empty asm) every step, so that
 * every product is really computed. The mul + add kernel, like the wasm
 * kernel's loops, keeps the multiply off the accumulator's dependency chain
 * and so needs a different y per accumulator (else the compiler computes x·y
 * once for all); 7 accumulators, 7 ys and x fill the 16 xmm registers and
 * cover the add's latency. FMA cannot be split, so one y serves 14. Returns a
 * sum of the accumulators so that nothing is optimised away. */
#define PEAK(NAME, TARGET, VEC, SET1, ADD, STEP, FIRST, N, YS)               \
  __attribute__((target(TARGET))) static double NAME(void) {                \
    VEC c[N], y[YS], x = SET1(1e-9);                                          \
    for (int i = 0; i < N; i++) c[i] = SET1(i);                              \
    for (int i = 0; i < YS; i++) y[i] = SET1(1.0 - i * 1e-9);                \
    for (long s = 0; s < STEPS; s++) {                                       \
      _Pragma("GCC unroll 14") for (int i = 0; i < N; i++) c[i] = STEP(c[i], x, y[i % YS]); \
      __asm__ volatile("" : "+x"(x));                                        \
    }                                                                        \
    for (int i = 1; i < N; i++) c[0] = ADD(c[0], c[i]);                      \
    return FIRST(c[0]);                                                      \
  }

#define MUL_ADD_128(c, x, y) _mm_add_pd(c, _mm_mul_pd(x, y))
#define FMA_128(c, x, y) _mm_fmadd_pd(x, y, c)
#define FMA_256(c, x, y) _mm256_fmadd_pd(x, y, c)

PEAK(mul_add_128, "avx", __m128d, _mm_set1_pd, _mm_add_pd, MUL_ADD_128, _mm_cvtsd_f64, 7, 7)
PEAK(fma_128, "fma", __m128d, _mm_set1_pd, _mm_add_pd, FMA_128, _mm_cvtsd_f64, 14, 1)
PEAK(fma_256, "avx2,fma", __m256d, _mm256_set1_pd, _mm256_add_pd, FMA_256, _mm256_cvtsd_f64, 14, 1)
PEAK(fma_chain, "fma", __m128d, _mm_set1_pd, _mm_add_pd, FMA_128, _mm_cvtsd_f64, 1, 1)

/* GHz: STEPS steps of 4 dependent integer adds (1 cycle each on x86-64) */
static double clock_ghz(void) {
  long x = 1;
  double t = now();
  for (long s = 0; s < STEPS; s++) __asm__ volatile("add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0" : "+r"(x));
  t = now() - t;
  return 4.0 * STEPS / t / 1e9;
}

static double run(const char *what, double (*f)(void), int lanes, int accumulators) {
  double t = now();
  double r = f();
  t = now() - t;
  /* 2 flops (a multiply and an add) per lane per accumulator per step */
  printf("%-22s %5.1f GFLOP/s\n", what, 2.0 * lanes * accumulators * STEPS / t / 1e9);
  return r;
}

int main(void) {
  double r = 0;
  for (int round = 0; round < 3; round++) {
    r += run("128-bit mul + add", mul_add_128, 2, 7);
    if (__builtin_cpu_supports("fma")) r += run("128-bit fma", fma_128, 2, 14);
    if (__builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2")) r += run("256-bit fma", fma_256, 4, 14);
    double ghz = clock_ghz();
    printf("%-22s %5.2f GHz\n", "clock", ghz);
    if (__builtin_cpu_supports("fma")) {
      double t = now();
      r += fma_chain();
      printf("%-22s %5.2f cycles\n", "128-bit fma latency", (now() - t) * ghz * 1e9 / STEPS);
    }
  }
  return r == 0.5; /* never: keeps r live */
}
