#!/usr/bin/env node
// The published command: all of it lives in the compiled CLI.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
