#!/usr/bin/env -S node --max-semi-space-size=2
// Semi-spaces of 2 MiB: a young generation that stays small under a flood of output (see bench/README.md).
import '../lib/cli/index.js';
