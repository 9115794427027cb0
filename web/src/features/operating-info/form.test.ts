import { describe, expect, it } from "vitest";
import { PlacedErrors } from "@/lib/forms/user-errors";
import { emptyForm, formFromPublished, toInput } from "./form";

const PUBLISHED = {
  version: 3,
  publishedAt: "2026-11-02T10:00:00+00:00",
  weeklyHours: [
    { day: "LUNDI" as const, opens: "07:30:00", closes: "12:00:00" },
    { day: "LUNDI" as const, opens: "13:30:00", closes: "18:30:00" },
  ],
  hoursNote: null,
  byAppointment: false,
  closurePeriods: ["AOUT" as const],
  datedClosures: [{ start: "2026-12-24", end: "2026-12-24", label: "Réveillon" }],
  closedOnPublicHolidays: true,
  ageMin: { value: 10, unit: "SEMAINE" as const },
  ageMax: null,
  capacity: 20,
  mealsProvided: true,
  nappiesProvided: null,
  disabilityWelcome: null,
  project: "Éveil et nature",
  providerPresentation: null,
  team: null,
  nationalFeeScale: true,
  fees: null,
  funding: ["PSU" as const],
  admissionConditions: null,
  registration: null,
  eligibleWorkCommunes: [],
  eligibleHomeCommunes: ["59207", "59606"],
  servedCommunes: [],
  careKinds: ["REGULIER" as const, "OCCASIONNEL" as const],
  languages: ["français", "anglais"],
  accessibilityUrl: null,
};

describe("the operating-information form", () => {
  it("starts from the published version and sends it back unchanged", () => {
    const { input, problems } = toInput(formFromPublished(PUBLISHED));

    expect(problems).toEqual([]);
    expect(input).toMatchObject({
      openingHours: [
        { day: "LUNDI", opens: "07:30", closes: "12:00" },
        { day: "LUNDI", opens: "13:30", closes: "18:30" },
      ],
      closurePeriods: ["AOUT"],
      ageMin: { value: 10, unit: "SEMAINE" },
      ageMax: null,
      capacity: 20,
      mealsProvided: true,
      nappiesProvided: null,
      project: "Éveil et nature",
      fees: null,
      eligibleHomeCommunes: ["59207", "59606"],
      languages: ["français", "anglais"],
    });
  });

  it("keeps every row in place, even a half-filled one, so the API's paths name the row shown", () => {
    const form = emptyForm();
    form.openingHours = [
      { day: "MARDI", opens: "08:00", closes: "12:00" },
      { day: "MARDI", opens: "14:00", closes: "" },
    ];

    const { input } = toInput(form);
    const errors = new PlacedErrors([{ field: "operatingInfo.openingHours[1].closes", message: "Indiquez l'heure de fermeture." }], "operatingInfo.");

    expect(input.openingHours?.[1]).toEqual({ day: "MARDI", opens: "14:00", closes: "" });
    expect(errors.under("openingHours[1]")).toBe("Indiquez l'heure de fermeture.");
  });

  it("says at the field when a number is not one, before sending", () => {
    const form = emptyForm();
    form.capacity = "vingt";
    form.ageMin = { value: "2,5", unit: "AN" };

    expect(toInput(form).problems).toEqual([
      { field: "operatingInfo.ageMin.value", message: "Indiquez un nombre entier." },
      { field: "operatingInfo.capacity", message: "Indiquez un nombre entier." },
    ]);
  });

  it("sends empty texts as null and splits the lists of codes", () => {
    const form = emptyForm();
    form.fees = "   ";
    form.eligibleWorkCommunes = "59207, 59606\n59009";

    const { input } = toInput(form);

    expect(input.fees).toBeNull();
    expect(input.eligibleWorkCommunes).toEqual(["59207", "59606", "59009"]);
  });
});
