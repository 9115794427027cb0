/** The French labels of the document's coded values (as in the SDL's enum descriptions). */
import type { Weekday } from "@/gql/graphql";

/** The days of the week in order, with the label families read. */
export const WEEKDAYS: readonly { day: Weekday; label: string }[] = [
  { day: "LUNDI", label: "Lundi" },
  { day: "MARDI", label: "Mardi" },
  { day: "MERCREDI", label: "Mercredi" },
  { day: "JEUDI", label: "Jeudi" },
  { day: "VENDREDI", label: "Vendredi" },
  { day: "SAMEDI", label: "Samedi" },
  { day: "DIMANCHE", label: "Dimanche" },
];

export const CLOSURE_PERIODS = [
  { value: "JUILLET", label: "Juillet" },
  { value: "AOUT", label: "Août" },
  { value: "NOEL_NOUVEL_AN", label: "Noël / Nouvel an" },
  { value: "JAMAIS", label: "Jamais" },
] as const;

export const FUNDING = [
  { value: "PSU", label: "Prestation de service unique (Caf/MSA)" },
  { value: "PAJE", label: "Paje / CMG (Caf/MSA)" },
  { value: "ENTREPRISE", label: "Entreprise" },
  { value: "INTERCOMMUNAL", label: "Intercommunalité" },
  { value: "CONSEIL_DEPARTEMENTAL", label: "Conseil départemental" },
  { value: "AUTRE", label: "Autre" },
] as const;

export const CARE_KINDS = [
  { value: "REGULIER", label: "Régulier" },
  { value: "OCCASIONNEL", label: "Occasionnel" },
  { value: "URGENCE", label: "D'urgence" },
  { value: "SAISONNIER", label: "Saisonnier" },
] as const;

export const AGE_UNITS = [
  { value: "SEMAINE", label: "semaine(s)" },
  { value: "MOIS", label: "mois" },
  { value: "AN", label: "an(s)" },
] as const;

export const labelOf = (choices: readonly { value: string; label: string }[], value: string) =>
  choices.find((choice) => choice.value === value)?.label ?? value;
