import { describe, expect, it } from "vitest";
import { latestByEstablishment } from "./latest-submissions";

describe("latestByEstablishment", () => {
  it("keeps the most recent submission of each establishment, whatever the order", () => {
    const latest = latestByEstablishment([
      { id: "s1", submittedAt: "2026-11-02T10:00:00+00:00", establishment: { id: "E1" } },
      { id: "s3", submittedAt: "2026-11-20T10:00:00+01:00", establishment: { id: "E1" } },
      { id: "s2", submittedAt: "2026-11-10T10:00:00+00:00", establishment: { id: "E2" } },
      { id: "s0", submittedAt: "2026-12-01T10:00:00+00:00", establishment: null },
    ]);

    expect([...latest].map(([id, s]) => [id, s.id])).toEqual([
      ["E1", "s3"],
      ["E2", "s2"],
    ]);
  });
});
