import { useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { formatDateTime } from "@/lib/dates";
import { PublicPageQuery } from "../api/public-page";

/** The establishment's public page as the catalogue shows it now (gateway), beside the proposed change. */
export function PublicPage({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: PublicPageQuery, variables: { id } });
  if (error && !data) return <Failure error={error} title="Fiche publique indisponible" />;
  if (!data) return fetching ? <Loading what="de la fiche publique" /> : null;
  const node = data.node;
  if (!node || !("name" in node)) return <p>Cet établissement n'est plus au catalogue public.</p>;
  const info = node.operatingInfo;
  return (
    <section aria-labelledby="fiche-publique" className="fr-p-2w fr-background-alt--grey">
      <h3 id="fiche-publique" className="fr-h6">Fiche publique actuelle</h3>
      <p className="fr-mb-1w">
        <strong>{node.name}</strong> — {node.eajeTypeLabel ?? node.categoryLabel}
        <br />
        {node.address.oneLine}
        <br />
        Gestionnaire : {node.provider.name}
        {node.capacity != null && (
          <>
            <br />
            {node.capacity} places
          </>
        )}
      </p>
      {info ? (
        <dl>
          <dt>Version publiée</dt>
          <dd>
            {info.version}, le {formatDateTime(info.publishedAt)}
          </dd>
          <dt>Horaires</dt>
          <dd>{info.openingHours || "—"}</dd>
          {info.hoursNote && (
            <>
              <dt>Précisions sur les horaires</dt>
              <dd>{info.hoursNote}</dd>
            </>
          )}
          <dt>Modalités tarifaires</dt>
          <dd>{info.fees ?? "—"}</dd>
        </dl>
      ) : (
        <p>Aucune modalité de fonctionnement publiée.</p>
      )}
    </section>
  );
}
