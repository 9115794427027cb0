import { describe, expect, it } from "vitest";
import { EMPTY_FORM, closingNotice, formOf, recordInputOf, type EstablishmentForm } from "./form";

const FILLED: EstablishmentForm = {
  ...EMPTY_FORM,
  providerId: "UHJvdmlkZXI6MQ==",
  name: " Micro-crèche Les Hirondelles ",
  category: "EAJE",
  eajeType: "MICRO_CRECHE",
  streetNumber: " ",
  streetName: "rue de Famars",
  postalCode: " 59300",
  communeInsee: "59606 ",
  latitude: "50,357",
  longitude: "3.523",
  capacity: "12",
};

describe("the register form", () => {
  it("reads French decimals and leaves empty optional fields out", () => {
    expect(recordInputOf(FILLED)).toEqual({
      input: {
        id: null,
        providerId: "UHJvdmlkZXI6MQ==",
        name: " Micro-crèche Les Hirondelles ",
        category: "EAJE",
        eajeType: "MICRO_CRECHE",
        streetNumber: null,
        streetName: "rue de Famars",
        postalCode: "59300",
        communeInsee: "59606",
        latitude: 50.357,
        longitude: 3.523,
        capacity: 12,
      },
    });
  });

  it("sends no EAJE type for another kind of establishment, and no capacity when none is typed", () => {
    const relais = recordInputOf({ ...FILLED, category: "RPE", capacity: "" });
    expect("input" in relais && [relais.input.eajeType, relais.input.capacity]).toEqual([null, null]);
  });

  it("refuses on their fields the numbers the gateway could not even read", () => {
    const refused = recordInputOf({ ...FILLED, category: "", latitude: "50°21'", longitude: "", capacity: "12,5" });
    expect("errors" in refused && refused.errors.map((e) => e.field)).toEqual(["category", "latitude", "longitude", "capacity"]);
  });

  it("turns an entry back into the form, decimals the French way", () => {
    const entry = {
      id: "RXN0YWJsaXNobWVudDox",
      provider: { id: "UHJvdmlkZXI6MQ==" },
      name: "Relais",
      category: "RPE" as const,
      eajeType: null,
      streetNumber: null,
      streetName: "place de la Mairie",
      postalCode: "59278",
      communeInsee: "59207",
      latitude: 50.4,
      longitude: 3.55,
      capacity: null,
    };
    expect(formOf(entry)).toMatchObject({ id: entry.id, eajeType: "", streetNumber: "", latitude: "50,4", capacity: "" });
    expect(recordInputOf(formOf(entry))).toMatchObject({ input: { latitude: 50.4, longitude: 3.55, capacity: null } });
  });

  it("says when the establishment leaves the public catalogue", () => {
    const day = (d: string) => `jour ${d}`;
    expect(closingNotice("2026-12-03", "2026-12-03", day)).toContain("quittera le catalogue public dès aujourd'hui");
    expect(closingNotice("2026-12-31", "2026-12-03", day)).toContain("à partir du jour 2026-12-31");
  });
});
