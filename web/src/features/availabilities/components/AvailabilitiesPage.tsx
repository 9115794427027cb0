import { useQuery } from "urql";
import { EstablishmentPicker } from "@/components/EstablishmentPicker";
import { Failure, Loading } from "@/components/Failure";
import { useEstablishmentParam } from "@/components/useEstablishmentParam";
import { usePageTitle } from "@/components/usePageTitle";
import { AvailabilityEstablishmentsQuery } from "../api/operations";
import { AvailabilityGrid } from "./AvailabilityGrid";

export function AvailabilitiesPage() {
  usePageTitle("Disponibilités");
  const [{ data, error }] = useQuery({ query: AvailabilityEstablishmentsQuery });
  const choices = data?.me.establishments
    .filter((held) => held.establishment.category === "EAJE" && held.rights.some((r) => r.code === "AVAILABILITY"))
    .map((held) => held.establishment);
  const [chosen, choose] = useEstablishmentParam(choices);

  return (
    <>
      <h1>Disponibilités</h1>
      <p>
        Indiquez les places libres de votre crèche par jour et par créneau. Elles sont publiées aussitôt sur
        monenfant.fr. Une disponibilité se communique au moins 3 jours à l'avance ; les jours de fermeture ne peuvent
        pas en recevoir. Envoyer une date remplace ce qui était publié pour cette date.
      </p>
      {error && !data && <Failure error={error} title="Impossible d'afficher vos établissements" />}
      {!data && !error && <Loading what="de vos établissements" />}
      {choices && choices.length === 0 && <p>Vous n'avez le droit de saisir les disponibilités d'aucune crèche.</p>}
      {choices && choices.length > 1 && <EstablishmentPicker establishments={choices} value={chosen} onChange={choose} />}
      {chosen && <AvailabilityGrid key={chosen} establishmentId={chosen} />}
    </>
  );
}
