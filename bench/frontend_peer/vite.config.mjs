// Built by bench/run_frontend_bench.py with the Vite and React of web/node_modules (the espace professionnel's).
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const web = fileURLToPath(new URL("../../web/node_modules/", import.meta.url));

export default {
  root: here,
  logLevel: "warn",
  esbuild: { jsx: "automatic" },
  resolve: { alias: { react: `${web}react`, "react-dom": `${web}react-dom` } },
  build: { outDir: process.env.F1_PEER_OUT, emptyOutDir: true, assetsDir: "assets" },
};
