// The PostGraphile 4 peer of the P1 benchmark: schema `bench_pg` (schema.sql) of the bench database, production
// options (no watch, no GraphiQL, no query log, no mutations, dynamic JSON). Started by bench/run_bench.py.
//
//   BENCH_PG_DATABASE_URL=postgres://user:password@127.0.0.1:5432/bench_catalogue BENCH_PG_PORT=18402 node server.js

"use strict";

const http = require("http");
const { Pool } = require("pg");
const { postgraphile } = require("postgraphile");

const databaseUrl = process.env.BENCH_PG_DATABASE_URL;
const port = Number(process.env.BENCH_PG_PORT || "18402");
const poolSize = Number(process.env.BENCH_PG_POOL_SIZE || "16");
if (!databaseUrl) {
  console.error("server.js: BENCH_PG_DATABASE_URL is required");
  process.exit(2);
}

const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
const handler = postgraphile(pool, "bench_pg", {
  watchPg: false,
  dynamicJson: true,
  disableDefaultMutations: true,
  disableQueryLog: true,
  graphiql: false,
  enhanceGraphiql: false,
  ignoreRBAC: true,
  setofFunctionsContainNulls: false,
  legacyRelations: "omit",
  extendedErrors: ["errcode"],
  showErrorStack: false,
  retryOnInitFail: false,
});

const server = http.createServer(handler);
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => console.log(`postgraphile peer on http://127.0.0.1:${port}/graphql`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    pool.end().finally(() => process.exit(0));
  });
}
