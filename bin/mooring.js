#!/usr/bin/env node
// The installed `mooring` command: runs the compiled CLI (npm ci builds it through `prepare`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then((code) => process.exit(code));
