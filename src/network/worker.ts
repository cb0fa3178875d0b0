// A worker thread of a ParallelEngine: builds its view of the shared
// network and buffers, then serves commands until told to exit.
import { parentPort, workerData } from "node:worker_threads";
import { jsKernel } from "../kernel/js.js";
import { createWasmKernel } from "../kernel/wasm.js";
import { Team, type TeamInit } from "./team.js";

const { init, t, module } = workerData as { init: TeamInit; t: number; module?: WebAssembly.Module };
const team = new Team(init, t, module ? createWasmKernel(init.memory, module) : jsKernel);
parentPort?.postMessage("ready");
try {
  team.serve();
} catch (e) {
  team.abort(); // release the other threads before this one dies
  throw e;
}
