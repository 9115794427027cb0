import type { Category } from "@/gql-moderation/graphql";

/** The establishments' categories as the queue's filter offers them: the API's codes, the labels of its SDL. */
export const CATEGORIES: [Category, string][] = [
  ["EAJE", "Crèche"],
  ["ASSISTANT_MATERNEL", "Assistant maternel"],
  ["MAM", "Maison d'assistants maternels"],
  ["RPE", "Relais petite enfance"],
  ["GARDE_A_DOMICILE", "Service de garde à domicile"],
  ["ALSH", "Accueil de loisirs sans hébergement"],
  ["LAEP", "Lieu d'accueil enfants-parents"],
  ["LIEU_INFORMATION", "Lieu d'information"],
  ["MEDIATION_FAMILIALE", "Service de médiation familiale"],
  ["ESPACE_RENCONTRE", "Espace de rencontre"],
  ["SOUTIEN_SCOLARITE", "Scolarité"],
];

/** The queue filter's categories: none chosen is no filter (items of an unknown category shown too). */
export function categoriesOf(chosen: "" | Category): Category[] | null {
  return chosen === "" ? null : [chosen];
}
