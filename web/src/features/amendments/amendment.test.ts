import { describe, expect, it } from "vitest";
import { buildAmendment, controlLabel, describeChanges, draftFrom, emptyPerson, missing, paths, placeAt, rightKey, type AnnexAgent, type Place } from "./amendment";

const CRECHE: Place = { id: "RXN0OjE=", name: "Multi-accueil Les P'tits Mineurs", eaje: true };
const ALSH: Place = { id: "RXN0OjI=", name: "Accueil de loisirs", eaje: false };
const PLACES = [CRECHE, ALSH];
const AGENTS: AnnexAgent[] = [
  { agentNumber: "59-ESC-0001", firstName: "Karine", lastName: "Lefebvre", rights: [{ establishmentId: CRECHE.id, right: "AVAILABILITY" }] },
  {
    agentNumber: "59-ESC-0002",
    firstName: "Marie",
    lastName: "Dupont",
    rights: [
      { establishmentId: CRECHE.id, right: "OPERATING_INFO" },
      { establishmentId: CRECHE.id, right: "AVAILABILITY" },
    ],
  },
];

describe("an amendment built from the annex as it will stand", () => {
  const draft = draftFrom(AGENTS);

  it("changes nothing until the form does", () => {
    const { input } = buildAmendment("DH59-1", { ...draft, signedOn: "2026-12-01", subject: "Rien" }, AGENTS, PLACES);

    expect([input.addPersons, input.removeAgents, input.grant, input.revoke]).toEqual([[], [], [], []]);
    expect(missing(input).map((p) => p.code)).toEqual(["NO_CHANGE"]);
  });

  it("removes agents, grants and withdraws the rights that differ, adds persons with theirs", () => {
    const edited = {
      signedOn: "2026-12-01",
      subject: "  Départ de Mme Lefebvre  ",
      removed: ["59-ESC-0001"],
      rights: { "59-ESC-0001": [], "59-ESC-0002": [rightKey(CRECHE.id, "AVAILABILITY"), rightKey(ALSH.id, "OPERATING_INFO")] },
      persons: [{ lastName: "Martin", firstName: "Sophie", function: "Directrice", email: " s.martin@escautpont.example ", rights: [rightKey(CRECHE.id, "OPERATING_INFO")] }],
    };

    const { input } = buildAmendment("DH59-1", edited, AGENTS, PLACES);

    expect(input).toEqual({
      requestNumber: "DH59-1",
      signedOn: "2026-12-01",
      subject: "Départ de Mme Lefebvre",
      addPersons: [{ lastName: "Martin", firstName: "Sophie", function: "Directrice", email: "s.martin@escautpont.example" }],
      addPersonRights: [{ email: "s.martin@escautpont.example", establishmentId: CRECHE.id, right: "OPERATING_INFO" }],
      removeAgents: ["59-ESC-0001"], // her rights end with her account: no revoke for them
      grant: [{ agentNumber: "59-ESC-0002", establishmentId: ALSH.id, right: "OPERATING_INFO" }],
      revoke: [{ agentNumber: "59-ESC-0002", establishmentId: CRECHE.id, right: "OPERATING_INFO" }],
    });
    expect(missing(input)).toEqual([]);
    expect(describeChanges(input, AGENTS, PLACES)).toEqual([
      "Ajout de Sophie Martin (s.martin@escautpont.example) : « Saisie des modalités de fonctionnement » sur « Multi-accueil Les P'tits Mineurs »",
      "Retrait de Karine Lefebvre (59-ESC-0001) : son compte est désactivé",
      "Droit « Saisie des modalités de fonctionnement » sur « Accueil de loisirs » accordé à Marie Dupont (59-ESC-0002)",
      "Droit « Saisie des modalités de fonctionnement » sur « Multi-accueil Les P'tits Mineurs » retiré à Marie Dupont (59-ESC-0002)",
    ]);
  });

  it("puts the gateway's refusals at the controls that asked for them", () => {
    const edited = {
      ...draft,
      signedOn: "2026-12-01",
      removed: ["59-ESC-0001"],
      rights: { ...draft.rights, "59-ESC-0002": [...draft.rights["59-ESC-0002"]!, rightKey(ALSH.id, "AVAILABILITY")] },
      persons: [{ ...emptyPerson(), email: "x@y.example", rights: [rightKey(ALSH.id, "AVAILABILITY")] }],
    };
    const { origins } = buildAmendment("DH59-1", edited, AGENTS, PLACES);

    const placed = placeAt(
      [
        { field: "subject", code: "REQUIRED", message: "Indiquez l'objet de l'avenant." },
        { field: "removeAgents[0]", code: "UNKNOWN_AGENT", message: "inconnu" },
        { field: "grant[0].establishmentId", code: "NOT_EAJE", message: "crèches seulement" },
        { field: "addPersons[0].email", code: "INVALID", message: "adresse invalide" },
        { field: "addPersonRights[0].establishmentId", code: "NOT_EAJE", message: "crèches seulement" },
        { field: "requestNumber", code: "INVALID_STATUS", message: "Un avenant suppose une habilitation active." },
      ],
      origins,
    );

    expect(placed.map((e) => e.field)).toEqual([
      "subject",
      paths.remove("59-ESC-0001"),
      paths.agentRight("59-ESC-0002", 1, "AVAILABILITY"),
      "persons[0].email",
      paths.personRight(0, 1, "AVAILABILITY"),
      null,
    ]);
  });

  it("asks for the date, the subject and each added person's identity before confirming", () => {
    const { input } = buildAmendment("DH59-1", { ...draft, persons: [{ ...emptyPerson(), lastName: "Martin" }] }, AGENTS, PLACES);

    expect(missing(input).map((p) => p.field)).toEqual(["signedOn", "subject", "persons[0].firstName", "persons[0].function", "persons[0].email"]);
  });
});

describe("the words of a refused control", () => {
  it("names the agent or the added person, and the right and establishment", () => {
    expect(controlLabel(paths.remove("59-ESC-0001"), AGENTS, PLACES)).toBe("Karine Lefebvre, retrait");
    expect(controlLabel(paths.agentRight("59-ESC-0002", 1, "OPERATING_INFO"), AGENTS, PLACES)).toBe(
      "Marie Dupont, Saisie des modalités de fonctionnement — Accueil de loisirs",
    );
    expect(controlLabel("persons[0].email", AGENTS, PLACES)).toBe("Personne ajoutée n° 1, adresse électronique");
    expect(controlLabel(paths.personRight(1, 0, "AVAILABILITY"), AGENTS, PLACES)).toBe("Personne ajoutée n° 2, Saisie des disponibilités — Multi-accueil Les P'tits Mineurs");
    expect(controlLabel("subject", AGENTS, PLACES)).toBe("Objet");
  });
});
