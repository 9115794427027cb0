import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { DeactivateAgentMutation, ProviderAgentsQuery, ProviderOfEstablishmentQuery } from "../api/operations";

/** The annex of art. 3-2: the provider's current agents and their rights per establishment; deactivation at the
 * end of a mission (the agent's sessions end everywhere). */
export function ProviderAgents({ establishmentId }: { establishmentId: string }) {
  const [{ data: owner }] = useQuery({ query: ProviderOfEstablishmentQuery, variables: { id: establishmentId } });
  const provider = owner?.node && "provider" in owner.node ? owner.node.provider : null;
  if (!provider) return null;
  return <Agents providerId={provider.id} providerName={provider.name} />;
}

function Agents({ providerId, providerName }: { providerId: string; providerName: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ProviderAgentsQuery, variables: { providerId } });
  const [leaving, setLeaving] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [state, deactivate] = useMutation(DeactivateAgentMutation);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function confirm(agentNumber: string) {
    const result = await deactivate({ input: { agentNumber, reason } });
    const errors = result.data?.deactivateAgent.userErrors ?? [];
    if (result.error || errors.length > 0) {
      setMessage({ ok: false, text: errors.map((e) => e.message).join(" ") || "La désactivation n'a pas abouti." });
      return;
    }
    setMessage({ ok: true, text: `Agent ${agentNumber} désactivé : ses sessions prennent fin partout.` });
    setLeaving(null);
    setReason("");
    refetch({ requestPolicy: "network-only" });
  }

  return (
    <section aria-labelledby="agents">
      <h2 id="agents">Agents de {providerName} (annexe de l'article 3-2)</h2>
      {message && <Alert className="fr-mb-2w" small severity={message.ok ? "success" : "error"} description={message.text} />}
      {error && !data && <Failure error={error} title="Impossible d'afficher les agents" />}
      {!data && fetching && <Loading what="des agents" />}
      <ul>
        {data?.providerAgents.edges.map(({ node }) => (
          <li key={node.agentNumber} className="fr-mb-2w">
            <strong>
              {node.firstName} {node.lastName}
            </strong>{" "}
            ({node.agentNumber}), {node.function} — {node.email}{" "}
            <Badge small severity={node.status === "DESACTIVE" ? "error" : node.status === "ACTIF" ? "success" : "info"}>
              {node.statusLabel}
            </Badge>
            <br />
            Droits : {node.rights.map((r) => `${r.right.label} (${r.establishment.name})`).join(" ; ") || "aucun"}
            {node.status !== "DESACTIVE" && leaving !== node.agentNumber && (
              <div>
                <Button size="small" priority="secondary" onClick={() => setLeaving(node.agentNumber)}>
                  {`Désactiver ${node.firstName} ${node.lastName}`}
                </Button>
              </div>
            )}
            {leaving === node.agentNumber && (
              <form
                noValidate
                onSubmit={(e) => {
                  e.preventDefault();
                  void confirm(node.agentNumber);
                }}
              >
                <div className="fr-input-group">
                  <label className="fr-label" htmlFor={`fin-${node.agentNumber}`}>
                    Motif de la désactivation
                    <span className="fr-hint-text">Par exemple : fin de mission.</span>
                  </label>
                  <input id={`fin-${node.agentNumber}`} className="fr-input" value={reason} onChange={(e) => setReason(e.target.value)} />
                </div>
                <ul className="fr-btns-group fr-btns-group--inline-md">
                  <li>
                    <Button type="submit" disabled={state.fetching}>
                      Confirmer la désactivation
                    </Button>
                  </li>
                  <li>
                    <Button type="button" priority="secondary" onClick={() => setLeaving(null)}>
                      Annuler
                    </Button>
                  </li>
                </ul>
              </form>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
