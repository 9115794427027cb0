// Copies the browser files GraphiQL's page loads from node_modules (installed by `npm ci` from the committed lock
// file) to dist/<package>@<version>/<path>: the same paths as on unpkg.com, so the page's Subresource Integrity
// hashes still name these exact bytes. Each package's licence goes beside its files.
import { cpSync, mkdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";

const FILES = {
  react: ["umd/react.production.min.js"],
  "react-dom": ["umd/react-dom.production.min.js"],
  "js-cookie": ["dist/js.cookie.min.js"],
  graphiql: ["graphiql.min.css", "graphiql.min.js"],
  "@graphiql/plugin-explorer": ["dist/style.css", "dist/index.umd.js"],
};

rmSync("dist", { recursive: true, force: true });
for (const [name, paths] of Object.entries(FILES)) {
  const source = join("node_modules", name);
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  const target = join("dist", `${name}@${version}`);
  for (const path of [...paths, "LICENSE"].filter((p) => p !== "LICENSE" || existsSync(join(source, p)))) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    cpSync(join(source, path), join(target, path));
  }
}
cpSync("README.md", join("dist", "README.md"));
