import { describe, expect, it } from "vitest";
import { formatAge, formatRemaining, holderOf, remainingSeconds } from "./lease";
import { shortcutOf } from "./shortcuts";
import { fieldOfPath, formatValue, highlight } from "./values";

describe("a field's value", () => {
  it("reads as text, lists one item a line", () => {
    expect(formatValue(null)).toBe("—");
    expect(formatValue(true)).toBe("Oui");
    expect(formatValue([{ day: "LUNDI", opens: "07:30:00", closes: "18:00:00" }, { day: "MARDI", opens: "08:00", closes: "17:00" }])).toBe(
      "lundi 07:30–18:00\nmardi 08:00–17:00",
    );
    expect(formatValue({ value: 10, unit: "SEMAINE" })).toBe("10 semaine(s)");
    expect(formatValue(["AOUT", "NOEL_NOUVEL_AN"])).toBe("Août\nNoël / Nouvel an");
    expect(formatValue([{ name: "Escautpont", postalCode: "59278" }])).toBe("Escautpont (59278)");
  });
});

describe("a flag's excerpt", () => {
  it("is marked wherever it occurs, whatever the case", () => {
    expect(highlight("Inscrivez-vous vite, -20 % sur les couches !", ["-20 % SUR"])).toEqual([
      { text: "Inscrivez-vous vite, ", marked: false },
      { text: "-20 % sur", marked: true },
      { text: " les couches !", marked: false },
    ]);
    expect(highlight("rien", ["autre"])).toEqual([{ text: "rien", marked: false }]);
    expect(highlight("Inscrivez-vous vite, -20 % sur les couches de notre partenaire", ["…vite, -20 % sur les couches de notre parte…"])).toEqual([
      { text: "Inscrivez-vous ", marked: false },
      { text: "vite, -20 % sur les couches de notre parte", marked: true },
      { text: "naire", marked: false },
    ]);
  });

  it("belongs to the top-level field of its path", () => {
    expect(fieldOfPath("datedClosures[0].label")).toBe("datedClosures");
    expect(fieldOfPath("fees")).toBe("fees");
  });
});

describe("a claim's lease", () => {
  const now = Date.parse("2026-12-03T10:00:00Z");
  it("counts down to claimExpiresAt and then holds nothing", () => {
    const claim = { claimedBy: "CAF59-0001", claimExpiresAt: "2026-12-03T10:14:05Z" };
    expect(remainingSeconds(claim, now)).toBe(845);
    expect(formatRemaining(845)).toBe("14 min 05 s");
    expect(formatRemaining(42)).toBe("42 s");
    expect(holderOf(claim, "CAF59-0001", now)).toBe("me");
    expect(holderOf(claim, "CAF59-0002", now)).toBe("other");
    expect(holderOf(claim, "CAF59-0002", now + 846_000)).toBe("nobody");
    expect(holderOf({ claimedBy: null, claimExpiresAt: null }, "CAF59-0001", now)).toBe("nobody");
  });

  it("says how long an item has waited", () => {
    expect(formatAge("2026-12-03T09:15:00Z", now)).toBe("45 min");
    expect(formatAge("2026-12-01T06:00:00Z", now)).toBe("2 j 4 h");
  });
});

describe("the shortcuts", () => {
  const key = (k: string, extra: Partial<Parameters<typeof shortcutOf>[0]> = {}) =>
    shortcutOf({ key: k, ctrlKey: false, metaKey: false, altKey: false, target: null, ...extra });
  it("map single keys to actions, never with a modifier nor while typing", () => {
    expect(key("j")).toBe("next");
    expect(key("?")).toBe("help");
    expect(key("x")).toBeNull();
    expect(key("a", { ctrlKey: true })).toBeNull();
    expect(key("a", { target: document.createElement("textarea") })).toBeNull();
  });
});
