import type { CombinedError } from "@urql/core";

/** The `extensions.code` of the API's GraphQL errors (docs/api.md § Errors). */
export function errorCodes(error: CombinedError): string[] {
  return error.graphQLErrors.map((e) => String(e.extensions?.code ?? ""));
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return error !== undefined && errorCodes(error).includes("UNAUTHENTICATED");
}

/** What to tell the person, in French, when an operation failed outside its userErrors. */
export function describeError(error: CombinedError): string {
  if (error.networkError) {
    const status = (error.response as { status?: number } | undefined)?.status;
    if (status !== undefined && status >= 500) {
      return "Le service est momentanément indisponible. Vos saisies sont conservées sur cet appareil : réessayez dans quelques instants.";
    }
    return "Connexion au service impossible. Vos saisies sont conservées sur cet appareil : vérifiez votre connexion puis réessayez.";
  }
  const codes = errorCodes(error);
  if (codes.includes("UNAUTHENTICATED")) return "Votre session a expiré : reconnectez-vous. Vos saisies sont conservées.";
  if (codes.includes("FORBIDDEN")) return "Vous n'avez pas les droits nécessaires pour cette action.";
  if (codes.includes("RATE_LIMITED")) return "Trop de demandes en peu de temps : patientez un instant puis réessayez.";
  if (codes.includes("SERVICE_UNAVAILABLE") || codes.includes("TIMEOUT")) {
    return "Le service est momentanément indisponible. Vos saisies sont conservées sur cet appareil : réessayez dans quelques instants.";
  }
  if (codes.includes("BAD_USER_INPUT")) {
    const message = error.graphQLErrors.find((e) => e.extensions?.code === "BAD_USER_INPUT")?.message;
    if (message) return message;
  }
  const requestId = error.graphQLErrors.map((e) => e.extensions?.requestId).find(Boolean);
  return `Une erreur inattendue est survenue${requestId ? ` (référence ${String(requestId)})` : ""}. Vos saisies sont conservées : réessayez.`;
}
