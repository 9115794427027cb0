import type { Category, EajeType } from "@/gql/graphql";

/** The French labels of the catalogue's kinds of establishment, as in the SDL's enum descriptions (a test checks). */
export const CATEGORY_LABELS: Record<Category, string> = {
  EAJE: "Crèche",
  ASSISTANT_MATERNEL: "Assistant maternel",
  MAM: "Maison d'assistants maternels",
  RPE: "Relais petite enfance",
  GARDE_A_DOMICILE: "Service de garde à domicile",
  ALSH: "Accueil de loisirs sans hébergement",
  LAEP: "Lieu d'accueil enfants-parents",
  LIEU_INFORMATION: "Lieu d'information",
  MEDIATION_FAMILIALE: "Service de médiation familiale",
  ESPACE_RENCONTRE: "Espace de rencontre",
  SOUTIEN_SCOLARITE: "Scolarité",
};

export const EAJE_TYPE_LABELS: Record<EajeType, string> = {
  CRECHE_COLLECTIVE: "Crèche collective",
  HALTE_GARDERIE: "Halte-garderie",
  MULTI_ACCUEIL: "Multi-accueil",
  CRECHE_FAMILIALE: "Crèche familiale",
  JARDIN_ENFANTS: "Jardin d'enfants",
  MICRO_CRECHE: "Micro-crèche",
};

/** The labels as choices for a select, in the SDL's order. */
export const choicesOf = <T extends string>(labels: Record<T, string>) =>
  (Object.entries(labels) as [T, string][]).map(([value, label]) => ({ value, label }));
