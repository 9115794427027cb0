import { describe, expect, it } from "vitest";
import { passwordHints } from "./password-hints";

describe("passwordHints", () => {
  it("says the length at once and the policy's words once the API has judged a long enough candidate", () => {
    expect(passwordHints("court").map((m) => m.severity)).toEqual(["error", "info"]);
    const refused = passwordHints("motdepasse123456", {
      acceptable: false,
      problems: [{ message: "Ce mot de passe est trop courant : choisissez-en un autre." }],
    });
    expect(refused).toContainEqual({
      severity: "error",
      message: "Ce mot de passe est trop courant : choisissez-en un autre.",
    });
    const accepted = passwordHints("girafe lampadaire cornichon violet", { acceptable: true, problems: [] });
    expect(accepted.map((m) => m.severity)).toEqual(["valid", "valid"]);
  });

  it("does not repeat the length rule the page already shows", () => {
    const hints = passwordHints("soleil", {
      acceptable: false,
      problems: [{ message: "Le mot de passe doit comporter au moins 12 caractères." }],
    });
    expect(hints.filter((m) => String(m.message).includes("12 caractères"))).toHaveLength(1);
  });
});
