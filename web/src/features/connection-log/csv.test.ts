import { describe, expect, it } from "vitest";
import { csvOf, filterEntries } from "./csv";

const entry = (at: string, event = "LOGIN_OK") => ({ at, identifier: "m.dupont.escautpont", agentNumber: "59-ESC-0001", event, eventLabel: "Connexion", address: "127.0.0.1", userAgent: 'Firefox; "x"' });

describe("the connection log's CSV", () => {
  it("has a header, quotes what needs it, and a BOM", () => {
    const csv = csvOf([entry("2026-12-03T08:00:00+00:00")]);
    expect(csv.startsWith("\uFEFFDate et heure (UTC);Identifiant;")).toBe(true);
    expect(csv).toContain('2026-12-03T08:00:00+00:00;m.dupont.escautpont;59-ESC-0001;LOGIN_OK;Connexion;127.0.0.1;"Firefox; ""x"""\r\n');
  });

  it("keeps the chosen kind between the chosen days", () => {
    const entries = [entry("2026-12-01T10:00:00+00:00"), entry("2026-12-02T10:00:00+00:00", "LOGOUT"), entry("2026-12-03T10:00:00+00:00")];
    expect(filterEntries(entries, "LOGIN_OK", "2026-12-02", "").map((e) => e.at.slice(0, 10))).toEqual(["2026-12-03"]);
    expect(filterEntries(entries, "", "", "2026-12-02")).toHaveLength(2);
  });
});
