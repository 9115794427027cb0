import { Button } from "@codegouvfr/react-dsfr/Button";
import { useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import { AccountQuery } from "../api/operations";

export function AccountPage() {
  usePageTitle("Mon compte");
  const [{ data, error, fetching }] = useQuery({ query: AccountQuery });
  if (error && !data) return <Failure error={error} title="Impossible d'afficher votre compte" />;
  if (!data) return fetching ? <Loading what="de votre compte" /> : null;
  const { me } = data;
  const rows: [string, string][] = [
    ["Nom", me.lastName],
    ["Prénom", me.firstName],
    ["Adresse électronique", me.email],
    ["Identifiant de connexion", me.identifier],
    ["Numéro d'agent", me.agentNumber],
    ["Qualité", me.kindLabel],
    ["Gestionnaire", me.provider?.name ?? "—"],
  ];
  return (
    <>
      <h1>Mon compte</h1>
      <dl>
        {rows.map(([term, value]) => (
          <div key={term} className="fr-mb-2w">
            <dt className="fr-text--bold">{term}</dt>
            <dd className="fr-ml-0">{value}</dd>
          </div>
        ))}
      </dl>
      <p className="fr-text--sm">
        Votre adresse électronique et vos droits sont ceux de la convention d'habilitation signée avec votre Caf : pour
        les modifier, adressez-vous à elle (avenant).
      </p>
      <h2>Mes droits</h2>
      <ul>
        {me.establishments.map(({ establishment, rights }) => (
          <li key={establishment.id}>
            {establishment.name} : {rights.map((r) => r.label).join(", ")}
          </li>
        ))}
      </ul>
      <Button priority="secondary" linkProps={{ to: "/mot-de-passe" }}>
        Changer mon mot de passe
      </Button>
    </>
  );
}
