/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: {
    outDir: "dist",
    // Hashed names under /assets/: the gateway serves them with a year-long cache; index.html is never cached.
    assetsDir: "assets",
    sourcemap: false,
    // One bundle of ~140 kB gzipped (React, urql, react-dsfr): fine for a back-office used daily, and cached a year.
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { "/graphql": "http://127.0.0.1:8000" } },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // Component tests render the DSFR in jsdom: a few seconds each on a loaded 2-core machine, where Vitest's 5 s
    // default failed them (the tests wait for what the person sees, they do not measure time).
    testTimeout: 30_000,
  },
});
