// Node 20 has WebAssembly, but @types/node 20 does not declare it (the
// types live in TypeScript's DOM library, which this project must not
// pull in). Only what the kernel uses is declared.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static customSections(module: Module, name: string): ArrayBuffer[];
  }
  type ExportValue = Function | Memory;
  type Imports = Record<string, Record<string, ExportValue | number>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, ExportValue>;
  }
}
