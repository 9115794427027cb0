import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { useState } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { HabilitationRequestStatus } from "@/gql/graphql";
import { formatDateTime } from "@/lib/dates";
import { HabilitationRequestsQuery } from "../api/operations";
import { STATUS_SEVERITY } from "../vocabulary";

const STATUSES: { value: "" | HabilitationRequestStatus; label: string }[] = [
  { value: "", label: "Toutes" },
  { value: "SOUMISE", label: "Soumises à la Caf" },
  { value: "CONVENTION_ENVOYEE", label: "Convention envoyée" },
  { value: "CONVENTION_RECUE", label: "Convention signée reçue" },
  { value: "ACTIVEE", label: "Activées" },
  { value: "REJETEE", label: "Refusées" },
];

function ageInDays(since: string): string {
  const days = Math.floor((Date.now() - Date.parse(since)) / 86_400_000);
  return days === 0 ? "aujourd'hui" : `${days} j`;
}

export function HabilitationRequestsPage() {
  usePageTitle("Demandes d'habilitation");
  const [status, setStatus] = useState<"" | HabilitationRequestStatus>("");
  const [{ data, error, fetching }] = useQuery({ query: HabilitationRequestsQuery, variables: { status: status || null } });
  return (
    <>
      <h1>Demandes d'habilitation</h1>
      <div className="fr-select-group">
        <label className="fr-label" htmlFor="filtre-etat">
          État
        </label>
        <select id="filtre-etat" className="fr-select" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          {STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      {error && !data && <Failure error={error} title="Impossible d'afficher les demandes" />}
      {!data && fetching && <Loading what="des demandes" />}
      {data && (
        <TableFrame label="Demandes">
          <table>
            <caption>Demandes, les plus anciennes d'abord ({data.habilitationRequests.totalCount})</caption>
            <thead>
              <tr>
                <th scope="col">Numéro</th>
                <th scope="col">Fournisseur</th>
                <th scope="col">SIRET</th>
                <th scope="col">Reçue le</th>
                <th scope="col">Âge</th>
                <th scope="col">État</th>
              </tr>
            </thead>
            <tbody>
              {data.habilitationRequests.edges.length === 0 && (
                <tr>
                  <td colSpan={6}>Aucune demande.</td>
                </tr>
              )}
              {data.habilitationRequests.edges.map(({ node }) => (
                <tr key={node.number}>
                  <td>
                    <Link to={`/habilitations/${encodeURIComponent(node.number)}`}>{node.number}</Link>
                  </td>
                  <td>{node.providerName}</td>
                  <td>{node.providerSiret}</td>
                  <td>{formatDateTime(node.submittedAt)}</td>
                  <td>{ageInDays(node.submittedAt)}</td>
                  <td>
                    <Badge small severity={STATUS_SEVERITY[node.status]}>
                      {node.statusLabel}
                    </Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </>
  );
}
