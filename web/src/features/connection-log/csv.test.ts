import { describe, expect, it } from "vitest";
import { csvOf, logVariables } from "./csv";

const entry = (at: string, event = "LOGIN_OK") => ({ at, identifier: "m.dupont.escautpont", agentNumber: "59-ESC-0001", event, eventLabel: "Connexion", address: "127.0.0.1", userAgent: 'Firefox; "x"' });

describe("the connection log's CSV", () => {
  it("has a header, quotes what needs it, and a BOM", () => {
    const csv = csvOf([entry("2026-12-03T08:00:00+00:00")]);
    expect(csv.startsWith("\uFEFFDate et heure (UTC);Identifiant;")).toBe(true);
    expect(csv).toContain('2026-12-03T08:00:00+00:00;m.dupont.escautpont;59-ESC-0001;LOGIN_OK;Connexion;127.0.0.1;"Firefox; ""x"""\r\n');
  });

  it("asks the server for the chosen kind and Paris days, nothing for an empty field", () => {
    expect(logVariables({ agentNumber: " 59-ESC-0001 ", providerId: "UHJvdmlkZXI6MQ", days: 30, kind: "LOGOUT", from: "2026-12-01", to: "" })).toEqual({
      agentNumber: "59-ESC-0001",
      providerId: "UHJvdmlkZXI6MQ",
      days: 30,
      from: "2026-12-01",
      to: null,
      events: ["LOGOUT"],
    });
    expect(logVariables({ agentNumber: "", providerId: "", days: 7, kind: "", from: "", to: "" })).toEqual({ agentNumber: null, providerId: null, days: 7, from: null, to: null, events: null });
  });
});
