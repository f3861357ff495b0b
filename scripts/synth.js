#!/usr/bin/env node
// Runs the cdktf app (stacks/main.ts) with the transpile-only loader. `cdktf.json` uses it too.
"use strict";
require("./register-ts");
process.exitCode = require("../stacks/main.ts").main();
