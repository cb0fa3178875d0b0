// One block of memory for every matrix the network touches: weights, biases,
// activations, deltas and the gathered mini-batch. It is a shared
// WebAssembly.Memory so that the same bytes can be handed, without copying,
// to the WebAssembly kernel and to worker threads (its buffer is a
// SharedArrayBuffer). Growing a shared memory never detaches earlier views.

import { DataError } from "../errors.js";

const PAGE_BYTES = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space, reserved, not committed
// f64x2 loads like 16-byte alignment; a cache line to itself keeps one thread's writes
// to a buffer from slowing another thread working on the next one
const ALIGN_BYTES = 64;
/** Where the wasm kernel keeps its constant table (gemm.wat's init_tables: 8 bytes for each of 256 byte values),
 *  in room every arena leaves free for it. */
export const KERNEL_TABLE = ALIGN_BYTES;
const KERNEL_TABLE_BYTES = 256 * 8;
/** The most the arena can hold: a file declaring more parameters is refused before it is read. */
export const ARENA_BYTES = MAX_PAGES * PAGE_BYTES;

/** Where buffers come from: an Arena, or (in a worker thread) views of buffers another thread made. */
export interface Alloc {
  f64(length: number): Float64Array;
  u8(length: number): Uint8Array;
  i32(length: number): Int32Array;
}

/** Allocates nothing: for building a network only to read its shapes. */
export const NO_MEMORY: Alloc = { f64: () => new Float64Array(0), u8: () => new Uint8Array(0), i32: () => new Int32Array(0) };

export class Arena implements Alloc {
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    this.top = KERNEL_TABLE + KERNEL_TABLE_BYTES; // bytes 0-63 stay unused so no matrix sits at address 0
  }

  /** A zeroed Float64Array of `length` elements inside the arena. */
  f64(length: number): Float64Array {
    const start = this.take(length * 8); // before reading .buffer: growing replaces it
    return new Float64Array(this.memory.buffer, start, length);
  }

  /** A zeroed Uint8Array of `length` bytes inside the arena. */
  u8(length: number): Uint8Array {
    const start = this.take(length);
    return new Uint8Array(this.memory.buffer, start, length);
  }

  /** A zeroed Int32Array of `length` elements inside the arena. */
  i32(length: number): Int32Array {
    const start = this.take(length * 4);
    return new Int32Array(this.memory.buffer, start, length);
  }

  private take(bytes: number): number {
    const start = this.top;
    const end = start + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > MAX_PAGES * PAGE_BYTES) {
      throw new DataError(`the network and its buffers need ${Math.ceil(end / 2 ** 20)} MiB, more than the ${MAX_PAGES * PAGE_BYTES / 2 ** 30} GiB the kernel's memory can hold: use smaller --sizes or --batch-size`);
    }
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    this.top = Math.ceil(end / ALIGN_BYTES) * ALIGN_BYTES;
    return start;
  }
}

/** Where a view sits in the arena's memory: enough to rebuild it in another thread. */
export interface ViewLayout {
  byteOffset: number;
  length: number;
}

export function layoutOf(view: Float64Array | Uint8Array | Int32Array): ViewLayout {
  return { byteOffset: view.byteOffset, length: view.length };
}

export function f64View(memory: WebAssembly.Memory, v: ViewLayout): Float64Array {
  return new Float64Array(memory.buffer, v.byteOffset, v.length);
}

export function u8View(memory: WebAssembly.Memory, v: ViewLayout): Uint8Array {
  return new Uint8Array(memory.buffer, v.byteOffset, v.length);
}

export function i32View(memory: WebAssembly.Memory, v: ViewLayout): Int32Array {
  return new Int32Array(memory.buffer, v.byteOffset, v.length);
}

/** An Alloc that allocates from another and records where each buffer went, in order. */
export class Recorder implements Alloc {
  readonly layouts: ViewLayout[] = [];

  constructor(private readonly from: Alloc) {}

  f64(length: number): Float64Array {
    return this.keep(this.from.f64(length));
  }

  u8(length: number): Uint8Array {
    return this.keep(this.from.u8(length));
  }

  i32(length: number): Int32Array {
    return this.keep(this.from.i32(length));
  }

  private keep<T extends Float64Array | Uint8Array | Int32Array>(view: T): T {
    this.layouts.push(layoutOf(view));
    return view;
  }
}

/** Hands out views of the buffers a Recorder recorded, in the same order: the same
 *  construction code run in another thread then sees the same bytes. */
export class Replay implements Alloc {
  private next = 0;

  constructor(private readonly memory: WebAssembly.Memory, private readonly layouts: readonly ViewLayout[]) {}

  f64(length: number): Float64Array {
    return f64View(this.memory, this.take(length));
  }

  u8(length: number): Uint8Array {
    return u8View(this.memory, this.take(length));
  }

  i32(length: number): Int32Array {
    return i32View(this.memory, this.take(length));
  }

  private take(length: number): ViewLayout {
    const v = this.layouts[this.next++];
    if (!v || v.length !== length) throw new Error("a replayed buffer does not match the recorded one");
    return v;
  }
}
