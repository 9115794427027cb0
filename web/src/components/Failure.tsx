import { Alert } from "@codegouvfr/react-dsfr/Alert";
import type { CombinedError } from "@urql/core";
import { describeError } from "@/lib/graphql/errors";

/** An operation that failed outside its userErrors (network, 5xx, rights…), said in French and announced. */
export function Failure({ error, title = "L'opération n'a pas abouti" }: { error: CombinedError; title?: string }) {
  return (
    <Alert className="fr-mb-3w" severity="error" title={title} description={describeError(error)} />
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite">
      Chargement {what}…
    </p>
  );
}
