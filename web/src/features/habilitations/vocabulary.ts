/** The words of the habilitation screens. */
export const RIGHT_LABELS: Record<string, string> = {
  OPERATING_INFO: "Modalités de fonctionnement",
  AVAILABILITY: "Disponibilités",
};

export const STANDING_LABELS: Record<string, string> = {
  OWN: "Géré par le fournisseur de ce SIRET",
  TO_CONFIRM: "Gestionnaire sans SIRET au registre : à confirmer à l'activation",
  OTHER_PROVIDER: "Géré par un autre fournisseur : jamais accordé",
  UNKNOWN: "Absent du registre",
};

export const STATUS_SEVERITY: Record<string, "info" | "success" | "error" | "new" | "warning"> = {
  SOUMISE: "new",
  CONVENTION_ENVOYEE: "info",
  CONVENTION_RECUE: "warning",
  ACTIVEE: "success",
  REJETEE: "error",
};
