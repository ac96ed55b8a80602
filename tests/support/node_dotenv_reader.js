// Reads env files with Node's dotenv, as a Node app would (tests/support/node_dotenv.py):
// node node_dotenv_reader.js CACHE FILE... where CACHE holds node_modules/dotenv.
// Each file is read twice -- `parse`, and `config` into a fresh object (what
// `require('dotenv').config()` does to `process.env`) -- and one JSON object is printed:
// {"version": dotenv's version, "read": [{"parsed": ..., "env": ...} for each file]}.
const fs = require("fs");
const path = require("path");

const [cache, ...files] = process.argv.slice(2);
const dotenv = require(path.join(cache, "node_modules", "dotenv"));
const read = files.map((file) => {
  const env = {};
  const result = dotenv.config({ path: file, processEnv: env, override: true, quiet: true });
  if (result.error) throw result.error;
  return { parsed: dotenv.parse(fs.readFileSync(file)), env };
});
const version = require(path.join(cache, "node_modules", "dotenv", "package.json")).version;
process.stdout.write(JSON.stringify({ version, read }));
