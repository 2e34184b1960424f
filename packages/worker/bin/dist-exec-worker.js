#!/usr/bin/env node
// Stable entry point for npm to link at install time; the program is built into dist/ by `npm run build`.
import '../dist/main.js';
