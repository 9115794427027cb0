import { describe, expect, it } from "vitest";
import { transmissionsOf } from "./transmissions";

describe("transmissionsOf", () => {
  it("groups the published entries by transmission, most recent first", () => {
    const at1 = "2026-12-01T09:00:00+00:00";
    const at2 = "2026-12-02T15:30:00+00:00";
    const transmissions = transmissionsOf([
      { date: "2026-12-09", places: 2, communicatedAt: at1, channel: "SAISIE_ESPACE_PRO" },
      { date: "2026-12-08", places: 1, communicatedAt: at1, channel: "SAISIE_ESPACE_PRO" },
      { date: "2026-12-08", places: 1, communicatedAt: at1, channel: "SAISIE_ESPACE_PRO" },
      { date: "2026-12-10", places: 4, communicatedAt: at2, channel: "TRANSMISSION_INFORMATISEE" },
    ]);

    expect(transmissions).toEqual([
      { communicatedAt: at2, channel: "TRANSMISSION_INFORMATISEE", dates: ["2026-12-10"], places: 4 },
      { communicatedAt: at1, channel: "SAISIE_ESPACE_PRO", dates: ["2026-12-08", "2026-12-09"], places: 4 },
    ]);
  });
});
