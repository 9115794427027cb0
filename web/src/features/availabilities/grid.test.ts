import { describe, expect, it } from "vitest";
import { closedReason, easter, publicHolidays, type Closures } from "./calendar";
import { buildBatch, cellKey, changedDates, copyPreviousWeek, dayRule, placeBatchErrors, publishedCells, weekDays } from "./grid";

const TODAY = "2026-12-03"; // a Thursday
const WEEKDAYS_ONLY: Closures = {
  openDays: ["LUNDI", "MARDI", "MERCREDI", "JEUDI", "VENDREDI"],
  closurePeriods: ["AOUT"],
  datedClosures: [{ start: "2026-12-14", end: "2026-12-15", label: "journées pédagogiques" }],
  closedOnPublicHolidays: true,
};
const rule = (day: string) => dayRule(day, TODAY, WEEKDAYS_ONLY, "59");

describe("the calendar of closed days", () => {
  it("finds Easter and the public holidays that move with it", () => {
    expect(easter(2026)).toBe("2026-04-05");
    expect(easter(2027)).toBe("2027-03-28");
    expect(publicHolidays(2026, "59")).toContain("2026-05-14"); // Ascension
    expect(publicHolidays(2026, "59")).not.toContain("2026-12-26");
    expect(publicHolidays(2026, "67")).toContain("2026-12-26"); // Saint-Étienne in Alsace
  });

  it("says why a day is closed", () => {
    expect(closedReason(WEEKDAYS_ONLY, "2026-12-12", "59")).toBe("fermé le samedi");
    expect(closedReason(WEEKDAYS_ONLY, "2026-12-25", "59")).toBe("jour férié");
    expect(closedReason(WEEKDAYS_ONLY, "2027-08-03", "59")).toBe("fermeture annuelle en août");
    expect(closedReason(WEEKDAYS_ONLY, "2026-12-15", "59")).toBe("fermeture : journées pédagogiques");
    expect(closedReason(WEEKDAYS_ONLY, "2026-12-16", "59")).toBeNull();
    expect(closedReason(null, "2026-12-12", "59")).toBeNull();
  });
});

describe("the 3-day rule", () => {
  it("closes the days before today + 3, with the earliest date", () => {
    expect(rule("2026-12-04")).toEqual({ editable: false, reason: "moins de 3 jours : le 06/12/2026 au plus tôt" });
    expect(rule("2026-12-07").editable).toBe(true);
    expect(rule("2026-12-06")).toEqual({ editable: false, reason: "fermé le dimanche" });
  });

  it("shows weeks from Monday", () => {
    expect(weekDays(TODAY, 0)[0]).toBe("2026-11-30");
    expect(weekDays(TODAY, 1)).toEqual(["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11", "2026-12-12", "2026-12-13"]);
  });
});

describe("the batch sent", () => {
  const published = publishedCells([
    { date: "2026-12-08", slot: "JOURNEE", places: 2 },
    { date: "2026-12-09", slot: "MATIN", places: 1 },
    { date: "2026-12-09", slot: "MATIN", places: 2 },
    { date: "2026-12-04", slot: "JOURNEE", places: 5 },
  ]);

  it("adds up the age groups of a published cell", () => {
    expect(published[cellKey("2026-12-09", "MATIN")]).toBe("3");
  });

  it("sends only the changed dates, each whole (cancel and replace)", () => {
    const edits = { [cellKey("2026-12-08", "MATIN")]: "1", [cellKey("2026-12-09", "MATIN")]: "3" };

    expect(changedDates(edits, published)).toEqual(["2026-12-08"]);
    expect(buildBatch(edits, published, rule).availabilities).toEqual([
      { date: "2026-12-08", slot: "JOURNEE", places: 2 },
      { date: "2026-12-08", slot: "MATIN", places: 1 },
    ]);
  });

  it("cancels a date whose cells were emptied with 0 places", () => {
    const batch = buildBatch({ [cellKey("2026-12-08", "JOURNEE")]: "" }, published, rule);

    expect(batch.availabilities).toEqual([{ date: "2026-12-08", slot: "JOURNEE", places: 0 }]);
  });

  it("refuses before sending what the API would refuse", () => {
    const batch = buildBatch(
      { [cellKey("2026-12-10", "JOURNEE")]: "trois", [cellKey("2026-12-11", "MATIN")]: "501", [cellKey("2026-12-12", "JOURNEE")]: "2" },
      {},
      rule,
    );

    expect(batch.errors).toEqual({
      [cellKey("2026-12-10", "JOURNEE")]: "Un nombre de places de 0 à 500.",
      [cellKey("2026-12-11", "MATIN")]: "Un nombre de places de 0 à 500.",
      [cellKey("2026-12-12", "JOURNEE")]: "Jour non modifiable (fermé le samedi).",
    });
    expect(batch.availabilities).toEqual([]);
  });

  it("copies the previous week onto the open days only", () => {
    const days = weekDays(TODAY, 2); // 14 → 20 December: 14 and 15 closed, 19 and 20 weekend
    const source = { [cellKey("2026-12-09", "MATIN")]: "4", [cellKey("2026-12-07", "JOURNEE")]: "1" };

    const copied = copyPreviousWeek(source, published, days, rule);

    expect(copied[cellKey("2026-12-16", "MATIN")]).toBe("4");
    expect(copied[cellKey("2026-12-15", "JOURNEE")]).toBeUndefined();
    expect(copied[cellKey("2026-12-14", "JOURNEE")]).toBeUndefined();
    expect(copied[cellKey("2026-12-16", "JOURNEE")]).toBe("");
  });

  it("puts each refusal of the API on the cell it was sent from", () => {
    const keys = [cellKey("2026-12-08", "JOURNEE"), cellKey("2026-12-08", "MATIN")];
    const placed = placeBatchErrors(
      [
        { field: "availabilities[1].date", message: "La crèche est fermée ce jour-là (jour férié)." },
        { field: "availabilities[1].places", message: "Le nombre de places va de 0 à 500." },
        { field: "establishmentId", message: "Les disponibilités ne concernent que les crèches (EAJE)." },
      ],
      keys,
    );

    expect(placed.byCell).toEqual({
      [cellKey("2026-12-08", "MATIN")]: "La crèche est fermée ce jour-là (jour férié). Le nombre de places va de 0 à 500.",
    });
    expect(placed.general).toEqual(["Les disponibilités ne concernent que les crèches (EAJE)."]);
  });
});
