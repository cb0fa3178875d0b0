/* The machine's limit for the wasm kernel's arithmetic, for the README's
 * performance notes: GFLOP/s of 128-bit double multiply + add (what the
 * mul-add variant compiles to), of 128-bit fused multiply-add (the fma
 * variant) and, for scale, of 256-bit FMA (what OpenBLAS uses), each on 12
 * independent accumulators with no memory traffic, on one core.
 *
 *   gcc -O2 -o /tmp/simd-peak scripts/simd-peak.c && /tmp/simd-peak
 *
 * x86-64 only; the FMA lines need a CPU with FMA3 (and AVX2 for 256-bit).
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ACC 12
#define STEPS 100000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One kernel per instruction set: STEP(c, x, y) is the accumulation step.
 * Each returns a sum of its accumulators so that nothing is optimised away;
 * the empty asm keeps x opaque, so every step is really computed. */
#define PEAK(NAME, TARGET, VEC, SET1, ADD, STEP, FIRST)                      \
  __attribute__((target(TARGET))) static double NAME(void) {                \
    VEC c[ACC], x = SET1(1.0000001), y = SET1(0.9999999);                    \
    for (int i = 0; i < ACC; i++) c[i] = SET1(i);                            \
    for (long s = 0; s < STEPS; s++) {                                       \
      _Pragma("GCC unroll 12") for (int i = 0; i < ACC; i++) c[i] = STEP(c[i], x, y); \
      __asm__ volatile("" : "+x"(x));                                        \
    }                                                                        \
    for (int i = 1; i < ACC; i++) c[0] = ADD(c[0], c[i]);                    \
    return FIRST(c[0]);                                                      \
  }

#define MUL_ADD_128(c, x, y) _mm_add_pd(c, _mm_mul_pd(x, y))
#define FMA_128(c, x, y) _mm_fmadd_pd(x, y, c)
#define FMA_256(c, x, y) _mm256_fmadd_pd(x, y, c)

PEAK(mul_add_128, "sse2", __m128d, _mm_set1_pd, _mm_add_pd, MUL_ADD_128, _mm_cvtsd_f64)
PEAK(fma_128, "fma", __m128d, _mm_set1_pd, _mm_add_pd, FMA_128, _mm_cvtsd_f64)
PEAK(fma_256, "avx2,fma", __m256d, _mm256_set1_pd, _mm256_add_pd, FMA_256, _mm256_cvtsd_f64)

static double run(const char *what, double (*f)(void), int lanes) {
  double t = now();
  double r = f();
  t = now() - t;
  /* 2 flops (a multiply and an add) per lane per accumulator per step */
  printf("%-22s %5.1f GFLOP/s\n", what, 2.0 * lanes * ACC * STEPS / t / 1e9);
  return r;
}

int main(void) {
  double r = 0;
  for (int round = 0; round < 3; round++) {
    r += run("128-bit mul + add", mul_add_128, 2);
    if (__builtin_cpu_supports("fma")) r += run("128-bit fma", fma_128, 2);
    if (__builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2")) r += run("256-bit fma", fma_256, 4);
  }
  return r == 0.5; /* never: keeps r live */
}
