import { describe, expect, it } from "vitest";
import { fieldId, PlacedErrors } from "./user-errors";

describe("PlacedErrors", () => {
  const errors = new PlacedErrors([
    { field: "operatingInfo.openingHours[0].closes", code: "VALUE_ERROR", message: "lundi : la fermeture doit suivre l'ouverture" },
    { field: "operatingInfo.ageMin.value", code: "VALUE_ERROR", message: "L'âge doit être positif." },
    { field: "operatingInfo.fees", code: "MISSING", message: "Indiquez les tarifs." },
    { field: null, code: "STALE", message: "Une version plus récente a été publiée." },
  ], "operatingInfo.");

  it("puts each refusal at the path of its input, below the prefix", () => {
    expect(errors.at("openingHours[0].closes")).toEqual(["lundi : la fermeture doit suivre l'ouverture"]);
    expect(errors.at("fees")).toEqual(["Indiquez les tarifs."]);
    expect(errors.at("openingHours[1].closes")).toEqual([]);
  });

  it("shows at a control the refusals about its parts", () => {
    expect(errors.under("ageMin")).toBe("L'âge doit être positif.");
    expect(errors.under("openingHours[0]")).toBe("lundi : la fermeture doit suivre l'ouverture");
    expect(errors.under("openingHours[1]")).toBeUndefined();
    expect(errors.under("age")).toBeUndefined();
  });

  it("keeps the refusals about no field apart, for the top of the form", () => {
    expect(errors.general).toEqual(["Une version plus récente a été publiée."]);
    expect(errors.entries()).toHaveLength(3);
  });

  it("gives each path a stable id for the summary's links", () => {
    expect(fieldId("operatingInfo.openingHours[0].opens")).toBe("f-operatingInfo-openingHours-0-opens");
    expect(fieldId("fees")).toBe("f-fees");
  });
});

describe("PlacedErrors outside the form's prefix", () => {
  it("counts a refusal about another part of the input as the form's", () => {
    const errors = new PlacedErrors([{ field: "basedOnVersion", code: "STALE", message: "Une version plus récente a été publiée." }], "operatingInfo.");

    expect(errors.general).toEqual(["Une version plus récente a été publiée."]);
    expect(errors.entries()).toEqual([]);
  });
});
