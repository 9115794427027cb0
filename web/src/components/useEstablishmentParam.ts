import { useSearchParams } from "react-router-dom";

/** The `?etablissement=` of the address: a screen's establishment can be bookmarked and shared. */
export function useEstablishmentParam(choices: readonly { id: string }[] | undefined): [string | null, (id: string) => void] {
  const [params, setParams] = useSearchParams();
  const asked = params.get("etablissement");
  const only = choices?.length === 1 ? choices[0]!.id : null;
  const chosen = asked && choices?.some((c) => c.id === asked) ? asked : only;
  return [chosen, (id) => setParams({ etablissement: id }, { replace: true })];
}
