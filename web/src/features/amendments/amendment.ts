/**
 * An amendment (« avenant ») as the Caf's agent edits it — the annex as it will stand — and the recordAmendment
 * input it makes: agents removed, rights granted and withdrawn (the difference with the current annex), persons
 * added with their rights. The gateway's refusals come back at the input's paths; `placeAt` puts each at the
 * control that made it.
 */
import type { UserErrorLike } from "@/lib/forms/user-errors";

export type RightCode = "OPERATING_INFO" | "AVAILABILITY";

export const RIGHTS: readonly { code: RightCode; label: string }[] = [
  { code: "OPERATING_INFO", label: "Saisie des modalités de fonctionnement" },
  { code: "AVAILABILITY", label: "Saisie des disponibilités" },
];

const LABEL: Record<RightCode, string> = { OPERATING_INFO: RIGHTS[0]!.label, AVAILABILITY: RIGHTS[1]!.label };

/** An establishment of the convention; availabilities concern crèches only (EAJE). */
export interface Place {
  id: string;
  name: string;
  eaje: boolean;
}

export interface AnnexAgent {
  agentNumber: string;
  firstName: string;
  lastName: string;
  rights: { establishmentId: string; right: RightCode }[];
}

/** A right on one establishment, as a checkbox holds it: « <establishment id>|<right> ». */
export type RightKey = string;

export const rightKey = (establishmentId: string, right: RightCode): RightKey => `${establishmentId}|${right}`;

function parseKey(key: RightKey): { establishmentId: string; right: RightCode } {
  const at = key.lastIndexOf("|");
  return { establishmentId: key.slice(0, at), right: key.slice(at + 1) as RightCode };
}

export interface NewPersonDraft {
  lastName: string;
  firstName: string;
  function: string;
  email: string;
  rights: RightKey[];
}

export interface AmendmentDraft {
  signedOn: string;
  subject: string;
  /** Agent numbers whose accounts the amendment ends. */
  removed: string[];
  /** Each current agent's rights as they will stand (agent number → rights). */
  rights: Record<string, RightKey[]>;
  persons: NewPersonDraft[];
}

export const emptyPerson = (): NewPersonDraft => ({ lastName: "", firstName: "", function: "", email: "", rights: [] });

/** The draft of an amendment that changes nothing yet: the annex as it stands. */
export function draftFrom(agents: readonly AnnexAgent[]): AmendmentDraft {
  const rights = Object.fromEntries(agents.map((a) => [a.agentNumber, a.rights.map((r) => rightKey(r.establishmentId, r.right))]));
  return { signedOn: "", subject: "", removed: [], rights, persons: [] };
}

/** The control of the form (its path, `fieldId(path)` its id) for each right checkbox and removal. */
export const paths = {
  remove: (agentNumber: string) => `agents.${agentNumber}.remove`,
  agentRight: (agentNumber: string, place: number, right: RightCode) => `agents.${agentNumber}.places[${place}].${right}`,
  personRight: (person: number, place: number, right: RightCode) => `persons[${person}].places[${place}].${right}`,
};

export interface RightChangeInput {
  agentNumber: string;
  establishmentId: string;
  right: RightCode;
}

export interface AmendmentInput {
  requestNumber: string;
  signedOn: string;
  subject: string;
  addPersons: { lastName: string; firstName: string; function: string; email: string }[];
  addPersonRights: { email: string; establishmentId: string; right: RightCode }[];
  removeAgents: string[];
  grant: RightChangeInput[];
  revoke: RightChangeInput[];
}

/** Where a refusal at an input path belongs: a control (the whole refusal), or a part of the form (its suffix kept). */
type Origin = { path: string; leaf: boolean };

export interface BuiltAmendment {
  input: AmendmentInput;
  origins: Record<string, Origin>;
}

export function buildAmendment(requestNumber: string, draft: AmendmentDraft, agents: readonly AnnexAgent[], places: readonly Place[]): BuiltAmendment {
  const origins: Record<string, Origin> = { subject: { path: "subject", leaf: false }, signedOn: { path: "signedOn", leaf: false } };
  const index = new Map(places.map((p, i) => [p.id, i]));
  const control = (key: RightKey, at: (place: number, right: RightCode) => string) => {
    const { establishmentId, right } = parseKey(key);
    return at(index.get(establishmentId) ?? -1, right);
  };
  const input: AmendmentInput = {
    requestNumber,
    signedOn: draft.signedOn,
    subject: draft.subject.trim(),
    addPersons: [],
    addPersonRights: [],
    removeAgents: [],
    grant: [],
    revoke: [],
  };
  for (const agent of agents) {
    const { agentNumber } = agent;
    if (draft.removed.includes(agentNumber)) {
      origins[`removeAgents[${input.removeAgents.length}]`] = { path: paths.remove(agentNumber), leaf: true };
      input.removeAgents.push(agentNumber);
      continue; // a removed agent's rights end with her account
    }
    const before = new Set(agent.rights.map((r) => rightKey(r.establishmentId, r.right)));
    const after = new Set(draft.rights[agentNumber] ?? []);
    const at = (place: number, right: RightCode) => paths.agentRight(agentNumber, place, right);
    for (const key of [...after].filter((k) => !before.has(k))) {
      origins[`grant[${input.grant.length}]`] = { path: control(key, at), leaf: true };
      input.grant.push({ agentNumber, ...parseKey(key) });
    }
    for (const key of [...before].filter((k) => !after.has(k))) {
      origins[`revoke[${input.revoke.length}]`] = { path: control(key, at), leaf: true };
      input.revoke.push({ agentNumber, ...parseKey(key) });
    }
  }
  draft.persons.forEach((person, i) => {
    origins[`addPersons[${i}]`] = { path: `persons[${i}]`, leaf: false };
    const email = person.email.trim();
    input.addPersons.push({ lastName: person.lastName.trim(), firstName: person.firstName.trim(), function: person.function.trim(), email });
    for (const key of person.rights) {
      origins[`addPersonRights[${input.addPersonRights.length}]`] = { path: control(key, (p, r) => paths.personRight(i, p, r)), leaf: true };
      input.addPersonRights.push({ email, ...parseKey(key) });
    }
  });
  return { input, origins };
}

/** The refusals at the form's controls: « grant[0].establishmentId » at the checkbox that asked for that right. */
export function placeAt(errors: readonly UserErrorLike[], origins: Record<string, Origin>): UserErrorLike[] {
  return errors.map((error) => {
    const field = error.field ?? "";
    const root = Object.keys(origins)
      .filter((key) => field === key || field.startsWith(`${key}.`) || field.startsWith(`${key}[`))
      .sort((a, b) => b.length - a.length)[0];
    if (root === undefined) return { ...error, field: null }; // about the amendment as a whole
    const origin = origins[root]!;
    return { ...error, field: origin.leaf ? origin.path : origin.path + field.slice(root.length) };
  });
}

/** What the form lacks before the amendment can be confirmed (the gateway checks the rest). */
export function missing(input: AmendmentInput): UserErrorLike[] {
  const problems: UserErrorLike[] = [];
  if (!input.signedOn) problems.push({ field: "signedOn", code: "REQUIRED", message: "Indiquez la date de signature de l'avenant." });
  if (!input.subject) problems.push({ field: "subject", code: "REQUIRED", message: "Indiquez l'objet de l'avenant." });
  const changes = input.addPersons.length + input.removeAgents.length + input.grant.length + input.revoke.length;
  if (changes === 0) problems.push({ field: null, code: "NO_CHANGE", message: "L'avenant ne change rien : retirez un agent, ajoutez une personne ou modifiez un droit." });
  input.addPersons.forEach((person, i) => {
    for (const [key, label] of [["lastName", "le nom"], ["firstName", "le prénom"], ["function", "la fonction"], ["email", "l'adresse électronique"]] as const) {
      if (!person[key]) problems.push({ field: `persons[${i}].${key}`, code: "REQUIRED", message: `Indiquez ${label} de la personne ajoutée.` });
    }
  });
  return problems;
}

/** The changes in French, for the confirmation before sending. */
export function describeChanges(input: AmendmentInput, agents: readonly AnnexAgent[], places: readonly Place[]): string[] {
  const name = (n: string) => {
    const agent = agents.find((a) => a.agentNumber === n);
    return agent ? `${agent.firstName} ${agent.lastName} (${n})` : n;
  };
  const right = (r: { establishmentId: string; right: RightCode }) =>
    `« ${LABEL[r.right]} » sur « ${places.find((p) => p.id === r.establishmentId)?.name ?? r.establishmentId} »`;
  return [
    ...input.addPersons.map((p) => {
      const rights = input.addPersonRights.filter((r) => r.email === p.email).map(right);
      return `Ajout de ${p.firstName} ${p.lastName} (${p.email}) : ${rights.join(" ; ") || "aucun droit"}`;
    }),
    ...input.removeAgents.map((n) => `Retrait de ${name(n)} : son compte est désactivé`),
    ...input.grant.map((c) => `Droit ${right(c)} accordé à ${name(c.agentNumber)}`),
    ...input.revoke.map((c) => `Droit ${right(c)} retiré à ${name(c.agentNumber)}`),
  ];
}

const FIELD_LABELS: Record<string, string> = { lastName: "nom", firstName: "prénom", function: "fonction", email: "adresse électronique" };

/** The words for a control in the summary of refusals (« Karine Lefebvre, retrait »…). */
export function controlLabel(path: string, agents: readonly AnnexAgent[], places: readonly Place[]): string | undefined {
  if (path === "signedOn") return "Date de signature";
  if (path === "subject") return "Objet";
  const rightOf = (place: string, right: string) => `${LABEL[right as RightCode] ?? right} — ${places[Number(place)]?.name ?? ""}`;
  const agent = /^agents\.(.+)\.(remove|places\[(\d+)\]\.(\w+))$/.exec(path);
  if (agent) {
    const found = agents.find((a) => a.agentNumber === agent[1]);
    const who = found ? `${found.firstName} ${found.lastName}` : agent[1];
    return agent[2] === "remove" ? `${who}, retrait` : `${who}, ${rightOf(agent[3]!, agent[4]!)}`;
  }
  const person = /^persons\[(\d+)\]\.(?:places\[(\d+)\]\.(\w+)|(\w+))$/.exec(path);
  if (person) {
    const who = `Personne ajoutée n° ${Number(person[1]) + 1}`;
    return person[2] !== undefined ? `${who}, ${rightOf(person[2], person[3]!)}` : `${who}, ${FIELD_LABELS[person[4]!] ?? person[4]}`;
  }
  return undefined;
}
