import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CATEGORIES, categoriesOf } from "./categories";

describe("the queue's category filter", () => {
  it("offers every category of the moderation SDL with its French label", () => {
    const sdl = readFileSync(resolve(__dirname, "../../../../moderation/schema.graphql"), "utf-8");
    const block = /enum Category \{([^}]*)\}/.exec(sdl)?.[1] ?? "";
    const described = [...block.matchAll(/"""(.+?)"""\s+([A-Z_]+)/g)].map((m) => [m[2], m[1]]);
    expect(CATEGORIES).toEqual(described);
  });

  it("filters on nothing when no category is chosen", () => {
    expect(categoriesOf("")).toBeNull();
    expect(categoriesOf("ALSH")).toEqual(["ALSH"]);
  });
});
