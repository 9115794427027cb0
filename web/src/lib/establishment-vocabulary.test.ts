import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CATEGORY_LABELS, EAJE_TYPE_LABELS, choicesOf } from "./establishment-vocabulary";

/** The values of `enum name` in the gateway's SDL, each with its description (its French label). */
function sdlLabels(name: string): Record<string, string> {
  const sdl = readFileSync(resolve(__dirname, "../../../gateway/schema.graphql"), "utf8");
  const body = sdl.split(`enum ${name} {`)[1]!.split("}")[0]!;
  return Object.fromEntries([...body.matchAll(/"""(.+?)"""\s+([A-Z_]+)/g)].map((m) => [m[2]!, m[1]!]));
}

describe("the establishment vocabulary", () => {
  it("says the SDL's labels, for every value", () => {
    expect(CATEGORY_LABELS).toEqual(sdlLabels("Category"));
    expect(EAJE_TYPE_LABELS).toEqual(sdlLabels("EajeType"));
  });

  it("gives the choices in the SDL's order", () => {
    expect(choicesOf(EAJE_TYPE_LABELS).slice(0, 2)).toEqual([
      { value: "CRECHE_COLLECTIVE", label: "Crèche collective" },
      { value: "HALTE_GARDERIE", label: "Halte-garderie" },
    ]);
  });
});
