import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WeeklyHours } from "./WeeklyHours";

describe("the opening hours in French", () => {
  it("shows every day in order, its slots in order and without seconds, and the days without any as closed", () => {
    render(
      <WeeklyHours
        slots={[
          { day: "MARDI", opens: "13:30:00", closes: "18:30:00" },
          { day: "LUNDI", opens: "07:30", closes: "12:00" },
          { day: "MARDI", opens: "07:30:00", closes: "12:00:00" },
        ]}
      />,
    );
    expect(screen.getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "Lundi : 07:30–12:00",
      "Mardi : 07:30–12:00, 13:30–18:30",
      "Mercredi : fermé",
      "Jeudi : fermé",
      "Vendredi : fermé",
      "Samedi : fermé",
      "Dimanche : fermé",
    ]);
  });

  it("says when no hours are given", () => {
    render(<WeeklyHours slots={[]} />);
    expect(screen.getByText("Non renseignés")).toBeDefined();
  });
});
