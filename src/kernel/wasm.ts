// The WebAssembly SIMD kernel: src/kernel/wasm/gemm.wat, assembled at build
// time into dist/kernel/wasm/gemm.wasm (mul-add) and gemm-fma.wasm (fma),
// run on the Arena's shared memory.
// Operands are handed over as byte addresses inside that memory, so nothing
// is copied: every Float64Array passed in must be a view of that memory.
import v8 from "node:v8";
import { KERNEL_TABLE } from "./arena.js";
import type { Kernel, KernelVariant } from "./kernel.js";
import { imagePairs } from "./image-pairs.js";
import { createWasmActivations } from "./wasm-activations.js";
import { loadWasmModule } from "./wasm-module.js";

// The exports of gemm.wat: byte pointers, dims and leading dimensions as i32.
interface GemmExports {
  gemm_abt(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_ab(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_atb(m: number, n: number, k: number, alpha: number,
    pa: number, lda: number, pb: number, ldb: number, beta: number, pc: number, ldc: number): void;
  init_tables(ptab: number): void;
  gather_rows(i0: number, i1: number, pixels: number, pimages: number, pidx: number, px: number, ldx: number, pl: number, stride: number, pn: number, ptab: number): number;
  list_pairs(count: number, pixels: number, pimages: number, pstart: number, pentries: number, t0: number): number;
  gather_pairs(i0: number, i1: number, pixels: number, pidx: number, px: number, ldx: number, pl: number, stride: number, pn: number,
    pstart: number, pentries: number, podd: number, pcl: number, cstride: number, pcn: number): number;
  index_rows(i0: number, i1: number, k: number, px: number, ldx: number, pl: number, stride: number, pn: number): void;
  index_columns(q0: number, q1: number, m: number, rl: number, rstride: number, rn: number, cl: number, cstride: number, cn: number): void;
  gemm_abt_pairs(m: number, n: number, k: number, pa: number, lda: number,
    pl: number, stride: number, pn: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_atb_pairs(m: number, n: number, k: number, alpha: number, pa: number, lda: number, pb: number, ldb: number,
    pl: number, stride: number, pn: number, beta: number, pc: number, ldc: number, wide: number): void;
}

/** The images listPairs copies into the memory at a time. */
const LIST_SCRATCH_BYTES = 1 << 20;

// The two builds of gemm.wat (see its header and scripts/build-wasm.mjs).
const FILES: Record<KernelVariant, string> = { "mul-add": "gemm.wasm", fma: "gemm-fma.wasm" };
// The custom section in which each build names its variant.
const VARIANT_SECTION = "mnist-train.variant";

/** Compiles the build of `variant` (default: the preferred one) once per
 * process (see wasm-module.ts). Throws an Error with a one-line message if it
 * is missing or invalid, or (fma) if this runtime does not accept it. */
export function wasmModule(variant: KernelVariant = preferredVariant()): WebAssembly.Module {
  return loadWasmModule(FILES[variant]);
}

/** The variant a compiled build is (read from its custom section, so that it
 * also works on a module posted to a worker thread). */
export function variantOf(module: WebAssembly.Module): KernelVariant {
  const [section] = WebAssembly.Module.customSections(module, VARIANT_SECTION);
  const name = section ? new TextDecoder().decode(section) : "";
  if (name !== "mul-add" && name !== "fma") throw new Error(`WebAssembly kernel without a known variant (${JSON.stringify(name)})`);
  return name;
}

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** Node 20's V8 (11.3) validates relaxed SIMD only with this flag (shipped in V8 11.4, before Node 22). Set before the
 *  fma build is first compiled, it lets Node 20 run the variant Node 22 and later run: on one CPU every supported
 *  Node gives the same bits, and Node 20 trains 1.5-5% faster (README, FMA and the 128-bit limit). It admits the
 *  relaxed-SIMD instructions and changes nothing else V8 compiles. */
const RELAXED_SIMD_FLAG = "--experimental-wasm-relaxed-simd";

let variants: KernelVariant[] | undefined;

/** The variants this runtime and CPU can run, the preferred first: "fma" when
 * the runtime accepts relaxed SIMD (Node 20 with RELAXED_SIMD_FLAG) and its
 * madd really is fused here (without FMA hardware V8 computes it as mul + add:
 * that is the mul-add variant). */
export function wasmVariants(): KernelVariant[] {
  if (!variants) {
    variants = ["mul-add"];
    if (NODE_MAJOR === 20) v8.setFlagsFromString(RELAXED_SIMD_FLAG);
    try {
      // compiling fails where WebAssembly.validate rejects relaxed SIMD
      if (fuses(wasmModule("fma"))) variants.unshift("fma");
    } catch {
      // no usable fma build: mul-add only
    }
  }
  return variants;
}

export function preferredVariant(): KernelVariant {
  return wasmVariants()[0];
}

// (1, 1, 3) · (1, 1, 3)ᵀ with lane 0 summing -1 and then (1 + 2⁻⁵²)(1 - 2⁻⁵²)
// = 1 - 2⁻¹⁰⁴: a fused step keeps -2⁻¹⁰⁴, mul then add rounds it to 0.
function fuses(module: WebAssembly.Module): boolean {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const { gemm_abt } = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
  const x = new Float64Array(memory.buffer, 0, 7);
  x.set([1, 0, 1 + 2 ** -52, -1, 0, 1 - 2 ** -52]);
  gemm_abt(1, 1, 3, 0, 3, 24, 3, 48, 1);
  return x[6] !== 0;
}

/** The update over pairs in tiles of 10 rows where they fit (gemm.wat): on Node 22 and later, 784-30-10 trains 2.5%
 *  faster (mb 100: 4%); Node 20's V8 spills two of their accumulators, and trains 5% slower with them (README). */
export const WIDE_UPDATE_TILES = NODE_MAJOR >= 22;

/** Bytes of B per column panel of gemmAtB: twice the 48 KiB L1 data cache measured best here (+8-12% at k = 100). */
const PANEL_BYTES = 96 * 1024;

/** A Kernel running a build of the wasm kernel (default: the preferred
 * variant) on `memory`, an Arena's memory: the kernel writes its table into
 * the room every arena leaves for it; `wideUpdate`: see WIDE_UPDATE_TILES.
 * Instantiates synchronously. */
export function createWasmKernel(memory: WebAssembly.Memory, module: WebAssembly.Module = wasmModule(), wideUpdate = WIDE_UPDATE_TILES): Kernel {
  const variant = variantOf(module);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const { gemm_abt, gemm_ab, gemm_atb, init_tables, gather_rows, list_pairs, gather_pairs, index_rows, index_columns, gemm_abt_pairs, gemm_atb_pairs } = instance.exports as unknown as GemmExports;
  init_tables(KERNEL_TABLE); // the same bytes whichever thread writes them
  const wide = wideUpdate ? 1 : 0;
  const activations = createWasmActivations(memory);
  // Called ~20,000 times per epoch: only turn (array, element offset) into a
  // byte address and call through.
  return {
    name: "wasm",
    variant,
    activationForward: activations.forward,
    activationBackward: activations.backward,
    outputDelta: activations.delta,
    sumRows: activations.sumRows,

    // A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
    gemmABt(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
      gemm_abt(m, n, k, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb, C.byteOffset + c * 8, ldc);
    },

    // A is (m, k), B is (k, n) -> C (m, n) = A · B
    gemmAB(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
      gemm_ab(m, n, k, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb, C.byteOffset + c * 8, ldc);
    },

    // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
    // The kernel sweeps all of B once per block of 4 rows of C; when B outgrows
    // the L1 cache (large mini-batches) it goes by panels of columns instead, so
    // a panel of B stays cached for every row block. Elements do not depend on
    // the tiling (kernel.ts), so the result is the same to the bit.
    gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
      const pa = A.byteOffset + a * 8;
      const pb = B.byteOffset + b * 8;
      const pc = C.byteOffset + c * 8;
      const panel = k * n * 8 > PANEL_BYTES ? Math.max(16, Math.floor(PANEL_BYTES / (8 * k)) & ~3) : n;
      for (let j = 0; j < n; j += panel) {
        // a last panel narrower than 4 columns would fall to the scalar path: fold it into this one
        const width = n - j < panel + 4 ? n - j : panel;
        gemm_atb(m, width, k, alpha, pa, lda, pb + j * 8, ldb, beta, pc + j * 8, ldc);
        if (width !== panel) break;
      }
    },

    // images, idx and the index live in the same memory (src/network/resident.ts)
    gatherRows(i0, i1, pixels, images, idx, X, x, ldx, rows) {
      gather_rows(i0, i1, pixels, images.byteOffset, idx.byteOffset, X.byteOffset + x * 8, ldx,
        rows ? rows.list.byteOffset : 0, rows ? rows.stride : 0, rows ? rows.count.byteOffset : 0, KERNEL_TABLE);
    },

    // the images through a scratch block in the memory, whatever memory they are in
    listPairs(images, count, pixels, alloc) {
      const block = Math.max(1, Math.floor(LIST_SCRATCH_BYTES / pixels));
      const scratch = alloc.u8(Math.min(count, block) * pixels);
      return imagePairs(images, count, pixels, alloc, (start, entries) => {
        let t = 0;
        for (let e0 = 0; e0 < count; e0 += block) {
          const n = Math.min(block, count - e0);
          scratch.set(images.subarray(e0 * pixels, (e0 + n) * pixels));
          t = list_pairs(n, pixels, scratch.byteOffset, start ? start.byteOffset + 4 * e0 : 0, entries ? entries.byteOffset : 0, t);
        }
        return t;
      });
    },

    gatherPairs(i0, i1, pixels, pairs, idx, X, x, ldx, rows, cols) {
      gather_pairs(i0, i1, pixels, idx.byteOffset, X.byteOffset + x * 8, ldx, rows.list.byteOffset, rows.stride, rows.count.byteOffset,
        pairs.start.byteOffset, pairs.entries.byteOffset, pairs.odd.byteOffset,
        cols ? cols.list.byteOffset : 0, cols ? cols.stride : 0, cols ? cols.count.byteOffset : 0);
    },

    // sparse X (pairs.ts): the index lives in the same memory
    indexRows(i0, i1, k, X, x, ldx, rows) {
      index_rows(i0, i1, k, X.byteOffset + x * 8, ldx, rows.list.byteOffset, rows.stride, rows.count.byteOffset);
    },

    indexColumns(q0, q1, m, rows, cols) {
      index_columns(q0, q1, m, rows.list.byteOffset, rows.stride, rows.count.byteOffset,
        cols.list.byteOffset, cols.stride, cols.count.byteOffset);
    },

    gemmABtPairs(m, n, k, A, a, lda, rows, B, b, ldb, C, c, ldc) {
      gemm_abt_pairs(m, n, k, A.byteOffset + a * 8, lda, rows.list.byteOffset, rows.stride, rows.count.byteOffset,
        B.byteOffset + b * 8, ldb, C.byteOffset + c * 8, ldc);
    },

    gemmAtBPairs(m, n, k, alpha, A, a, lda, B, b, ldb, cols, beta, C, c, ldc) {
      gemm_atb_pairs(m, n, k, alpha, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb,
        cols.list.byteOffset, cols.stride, cols.count.byteOffset, beta, C.byteOffset + c * 8, ldc, wide);
    },
  };
}
