import { Card } from "@codegouvfr/react-dsfr/Card";
import { usePageTitle } from "@/components/usePageTitle";
import { useMe } from "@/lib/auth/agent-kind";

/** A Caf agent's home: the console's two halves, the review queue and the back-office. */
export function CafHomePage() {
  usePageTitle("Accueil");
  const me = useMe();
  return (
    <>
      <h1>{me ? `Bonjour ${me.firstName} ${me.lastName}` : "Console de la Caf"}</h1>
      <p className="fr-text--lead">Console de la Caf : modération des saisies et habilitations des gestionnaires de votre territoire.</p>
      <ul className="fr-raw-list fr-grid-row fr-grid-row--gutters">
        <li className="fr-col-12 fr-col-md-6">
          <Card
            title="File de modération"
            titleAs="h2"
            desc="Les modalités de fonctionnement soumises par les gestionnaires, à valider ou refuser avant publication."
            linkProps={{ to: "/file" }}
            enlargeLink
          />
        </li>
        <li className="fr-col-12 fr-col-md-6">
          <Card
            title="Demandes d'habilitation"
            titleAs="h2"
            desc="Les demandes des gestionnaires : convention, activation des comptes, refus."
            linkProps={{ to: "/habilitations" }}
            enlargeLink
          />
        </li>
      </ul>
    </>
  );
}
