import { useQuery } from "urql";
import { EstablishmentPicker } from "@/components/EstablishmentPicker";
import { Failure, Loading } from "@/components/Failure";
import { useEstablishmentParam } from "@/components/useEstablishmentParam";
import { usePageTitle } from "@/components/usePageTitle";
import { OperatingInfoEditorQuery, OperatingInfoEstablishmentsQuery } from "../api/operations";
import { OperatingInfoEditor, type EditedEstablishment } from "./OperatingInfoEditor";

export function OperatingInfoPage() {
  usePageTitle("Modalités de fonctionnement");
  const [{ data, error }] = useQuery({ query: OperatingInfoEstablishmentsQuery });
  const choices = data?.me.establishments
    .filter((held) => held.rights.some((r) => r.code === "OPERATING_INFO"))
    .map((held) => held.establishment);
  const [chosen, choose] = useEstablishmentParam(choices);
  return (
    <>
      <h1>Modalités de fonctionnement</h1>
      <p>
        Horaires, fermetures, âges, tarifs, projet… : le document complet que les familles lisent sur monenfant.fr.
        Chaque envoi est vérifié par votre Caf avant publication ; la version publiée reste visible en attendant.
      </p>
      {error && !data && <Failure error={error} title="Impossible d'afficher vos établissements" />}
      {!data && !error && <Loading what="de vos établissements" />}
      {choices && choices.length === 0 && <p>Vous n'avez le droit de modifier les modalités d'aucun établissement.</p>}
      {choices && choices.length > 1 && <EstablishmentPicker establishments={choices} value={chosen} onChange={choose} />}
      {chosen && <EditorLoader key={chosen} establishmentId={chosen} />}
    </>
  );
}

function EditorLoader({ establishmentId }: { establishmentId: string }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: OperatingInfoEditorQuery, variables: { id: establishmentId } });
  if (error && !data) return <Failure error={error} title="Impossible d'afficher les modalités" />;
  const establishment = data?.node && "operatingInfo" in data.node ? (data.node as EditedEstablishment) : null;
  if (!data || !establishment) return fetching ? <Loading what="des modalités" /> : null;
  const submissions = data.mySubmissions.edges.map((edge) => edge.node).filter((s) => s.establishment?.id === establishmentId);
  return (
    <OperatingInfoEditor
      establishment={establishment}
      submissions={submissions}
      onSubmitted={() => reload({ requestPolicy: "network-only" })}
    />
  );
}
