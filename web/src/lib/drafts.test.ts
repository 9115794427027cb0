import { describe, expect, it } from "vitest";
import { DraftStore } from "./drafts";
import { MemoryStore } from "./testing";

describe("DraftStore", () => {
  it("keeps a draft per account and screen until it is cleared", () => {
    const drafts = new DraftStore(new MemoryStore());
    drafts.save("m.dupont", "modalites:E1", { fees: "Selon barème" });
    drafts.save("a.mathon", "modalites:E1", { fees: "autre" });

    expect(drafts.load("m.dupont", "modalites:E1")).toEqual({ fees: "Selon barème" });
    expect(drafts.load("m.dupont", "modalites:E2")).toBeNull();
    drafts.clear("m.dupont", "modalites:E1");
    expect(drafts.load("m.dupont", "modalites:E1")).toBeNull();
    expect(drafts.load("a.mathon", "modalites:E1")).toEqual({ fees: "autre" });
  });

  it("survives a new store on the same storage (a reload, a new sign-in)", () => {
    const storage = new MemoryStore();
    new DraftStore(storage).save("m.dupont", "disponibilites:E1", { "2026-12-10|JOURNEE": "3" });

    expect(new DraftStore(storage).load("m.dupont", "disponibilites:E1")).toEqual({ "2026-12-10|JOURNEE": "3" });
  });

  it("drops an unreadable draft instead of breaking the screen", () => {
    const storage = new MemoryStore();
    const drafts = new DraftStore(storage);
    storage.setItem(drafts.key("m.dupont", "x"), "{not json");

    expect(drafts.load("m.dupont", "x")).toBeNull();
  });

  it("a full storage does not break typing", () => {
    const drafts = new DraftStore({
      getItem: () => null,
      setItem: () => {
        throw new DOMException("quota", "QuotaExceededError");
      },
      removeItem: () => undefined,
    });

    expect(() => drafts.save("a", "b", { c: 1 })).not.toThrow();
  });
});
