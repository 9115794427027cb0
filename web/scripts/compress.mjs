// Gzip the built scripts and styles (and the DSFR's two style sheets) once, at build time (level 9): the gateway sends `<file>.gz` to browsers that
// accept it, so no CPU is spent compressing at each request and no proxy is needed for the first page's weight.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

for (const file of ["dist/dsfr/dsfr.min.css", "dist/dsfr/utility/icons/icons.min.css"]) {
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
}
const folder = "dist/assets";
for (const name of readdirSync(folder)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue;
  const file = join(folder, name);
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
}
