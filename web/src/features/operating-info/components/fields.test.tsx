import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CheckboxField, YesNoField } from "./fields";

describe("the operating-information controls", () => {
  it("gives a checkbox its label", () => {
    render(<CheckboxField path="byAppointment" label="Accueil sur rendez-vous" checked={false} onChange={() => {}} />);
    expect(screen.getByLabelText("Accueil sur rendez-vous")).toHaveProperty("type", "checkbox");
  });

  it("gives each radio button its label", () => {
    render(<YesNoField path="mealsProvided" legend="Repas fournis" value="oui" onChange={() => {}} />);
    expect(screen.getByRole("radio", { name: "Oui" })).toHaveProperty("checked", true);
    expect(screen.getByRole("radio", { name: "Non" })).toHaveProperty("checked", false);
    expect(screen.getByRole("radio", { name: "Non précisé" })).toHaveProperty("checked", false);
  });
});
