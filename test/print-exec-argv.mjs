// Preloaded by a CLI test (NODE_OPTIONS=--import): prints the node flags the process was started with.
process.stdout.write(`${JSON.stringify(process.execArgv)}\n`);
