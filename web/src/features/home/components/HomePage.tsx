import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Tag } from "@codegouvfr/react-dsfr/Tag";
import { useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { HomeQuery as HomeData } from "@/gql/graphql";
import { formatDateTime, formatNumericDay } from "@/lib/dates";
import { HomeQuery } from "../api/operations";
import { latestByEstablishment } from "../latest-submissions";

type Held = HomeData["me"]["establishments"][number];
type Submission = HomeData["mySubmissions"]["edges"][number]["node"];

const FRESHNESS: Record<string, "success" | "warning" | "error" | "info"> = {
  DISPONIBLE: "success",
  COMPLET: "info",
  PERIMEES: "warning",
  NON_RENSEIGNEES: "error",
};

export function HomePage() {
  usePageTitle("Accueil");
  const [{ data, error, fetching }] = useQuery({ query: HomeQuery });
  if (error && !data) return <Failure error={error} title="Impossible d'afficher vos établissements" />;
  if (!data) return fetching ? <Loading what="de vos établissements" /> : null;
  const latest = latestByEstablishment(data.mySubmissions.edges.map((edge) => edge.node));
  return (
    <>
      <h1>Bonjour {data.me.firstName} {data.me.lastName}</h1>
      {data.me.provider && <p className="fr-text--lead">{data.me.provider.name}</p>}
      <h2>Mes établissements</h2>
      {data.me.establishments.length === 0 && <p>Aucun établissement ne vous est attribué : adressez-vous à votre Caf.</p>}
      <ul className="fr-raw-list fr-grid-row fr-grid-row--gutters">
        {data.me.establishments.map((held) => (
          <li key={held.establishment.id} className="fr-col-12 fr-col-lg-6">
            <EstablishmentCard held={held} submission={latest.get(held.establishment.id)} />
          </li>
        ))}
      </ul>
    </>
  );
}

function EstablishmentCard({ held, submission }: { held: Held; submission: Submission | undefined }) {
  const { establishment, rights } = held;
  const codes = new Set(rights.map((right) => right.code));
  const status = establishment.availabilityStatus;
  const headingId = `etablissement-${establishment.id}`;
  return (
    <article className="fr-card fr-card--no-arrow fr-p-3w" aria-labelledby={headingId}>
      <h3 id={headingId} className="fr-h5">{establishment.name}</h3>
      <p className="fr-mb-1w">
        {establishment.eajeTypeLabel ?? establishment.categoryLabel} — {establishment.address.oneLine}
      </p>
      <p className="fr-mb-1w">
        <span className="fr-sr-only">Mes droits : </span>
        {rights.map((right) => (
          <Tag key={right.code} small className="fr-mr-1w">{right.label}</Tag>
        ))}
      </p>
      {status && (
        <div className="fr-mb-2w">
          <p className="fr-mb-1v">
            <strong>Disponibilités : </strong>
            <Badge severity={FRESHNESS[status.state] ?? "info"} small>{status.label}</Badge>
          </p>
          <p className="fr-text--sm fr-mb-0">
            {status.updatedAt ? `Mises à jour le ${formatDateTime(status.updatedAt)}` : "Jamais transmises"}
            {status.freePlaces > 0 && ` — ${status.freePlaces} place(s) libre(s) sur 14 jours`}
            {status.nextDate && `, prochaine le ${formatNumericDay(status.nextDate)}`}
          </p>
          {status.channel === "TRANSMISSION_INFORMATISEE" && (
            <p className="fr-text--sm fr-mb-0">
              Transmises par votre logiciel : au moins trois jours de transmission par semaine.
            </p>
          )}
          {status.state === "PERIMEES" && (
            <p className="fr-text--sm fr-mb-0">
              {status.channel === "TRANSMISSION_INFORMATISEE"
                ? "Moins de trois jours de transmission sur les sept derniers : les familles voient vos disponibilités comme périmées."
                : "Les familles voient que vos disponibilités ne sont plus à jour."}
            </p>
          )}
          {status.state !== "PERIMEES" && status.staleAfter && (
            <p className="fr-text--sm fr-mb-0">À mettre à jour avant le {formatDateTime(status.staleAfter)}.</p>
          )}
        </div>
      )}
      <div className="fr-mb-2w">
        <p className="fr-mb-1v">
          <strong>Modalités de fonctionnement : </strong>
          {establishment.operatingInfo
            ? `version ${establishment.operatingInfo.version} publiée le ${formatDateTime(establishment.operatingInfo.publishedAt)}`
            : "aucune version publiée"}
        </p>
        {submission && <SubmissionState submission={submission} />}
      </div>
      <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--sm">
        {codes.has("AVAILABILITY") && establishment.category === "EAJE" && (
          <li>
            <Button linkProps={{ to: `/disponibilites?etablissement=${encodeURIComponent(establishment.id)}` }}>
              Saisir les disponibilités
            </Button>
          </li>
        )}
        {codes.has("OPERATING_INFO") && (
          <li>
            <Button priority="secondary" linkProps={{ to: `/modalites?etablissement=${encodeURIComponent(establishment.id)}` }}>
              {submission?.status === "REJECTED" ? "Corriger et soumettre à nouveau" : "Modifier les modalités"}
            </Button>
          </li>
        )}
      </ul>
    </article>
  );
}

function SubmissionState({ submission }: { submission: Submission }) {
  const severity = submission.status === "REJECTED" ? "error" : submission.status === "APPROVED" ? "success" : "info";
  return (
    <div>
      <p className="fr-mb-1v">
        Dernière saisie (version {submission.version}, le {formatDateTime(submission.submittedAt)}) :{" "}
        <Badge severity={severity} small>{submission.statusLabel}</Badge>
      </p>
      {submission.status === "REJECTED" && (
        <>
          {submission.reasons && submission.reasons.length > 0 && (
            <ul className="fr-text--sm">
              {submission.reasons.map((reason) => (
                <li key={reason.code}>{reason.label}</li>
              ))}
            </ul>
          )}
          {submission.comment && <p className="fr-text--sm">Commentaire de la Caf : « {submission.comment} »</p>}
        </>
      )}
    </div>
  );
}
