import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { describe, expect, it } from "vitest";

// bulletproof-react's rule, as import-linter keeps the Python side: imports flow lib/components → features → app,
// and never from one feature into another (a feature shows itself only through its index.ts).
const SRC = resolve(__dirname);

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (entry.name === "gql" || entry.name === "gql-moderation" ? [] : files(join(folder, entry.name))) : /\.tsx?$/.test(entry.name) ? [join(folder, entry.name)] : [],
  );
}

function imports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]!).map((target) =>
    target.startsWith("@/") ? target.slice(2) : target.startsWith(".") ? relative(SRC, resolve(dirname(file), target)) : target,
  );
}

const layer = (path: string) => path.split("/")[0];
const feature = (path: string) => (path.startsWith("features/") ? path.split("/")[1] : null);

describe("the import rules of web/src", () => {
  const all = files(SRC).map((file) => ({ path: relative(SRC, file), targets: imports(file) }));

  it("finds the sources", () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it("never imports one feature from another", () => {
    const crossings = all.flatMap(({ path, targets }) =>
      targets.filter((t) => feature(path) && feature(t) && feature(t) !== feature(path)).map((t) => `${path} → ${t}`),
    );
    expect(crossings).toEqual([]);
  });

  it("keeps lib and components free of features and app", () => {
    const upward = all.flatMap(({ path, targets }) =>
      ["lib", "components"].includes(layer(path)!) ? targets.filter((t) => ["features", "app"].includes(layer(t)!)).map((t) => `${path} → ${t}`) : [],
    );
    expect(upward).toEqual([]);
  });

  it("lets the app reach a feature only through its index.ts", () => {
    const deep = all.flatMap(({ path, targets }) =>
      layer(path) === "app" ? targets.filter((t) => feature(t) && t.split("/").length > 2).map((t) => `${path} → ${t}`) : [],
    );
    expect(deep).toEqual([]);
  });
});

describe("the shared pieces of web/src", () => {
  it("frames every table with TableFrame, whose container a keyboard can scroll at 200 % zoom", () => {
    const framedByHand = files(SRC)
      .filter((file) => /\.tsx$/.test(file) && !file.endsWith("TableFrame.tsx"))
      .filter((file) => readFileSync(file, "utf8").includes("fr-table__container"))
      .map((file) => relative(SRC, file));
    expect(framedByHand).toEqual([]);
  });
});
