import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import { WeeklyHours } from "@/components/WeeklyHours";
import { formatDateTime, formatNumericDay } from "@/lib/dates";
import { CLOSURE_PERIODS, labelOf } from "@/lib/operating-info-vocabulary";
import { PublicPageQuery, WithdrawOperatingInfoMutation } from "../api/public-page";
import { RejectForm } from "./RejectForm";

type Closures = { closurePeriods: readonly string[]; closedOnPublicHolidays: boolean; datedClosures: readonly { start: string; end: string; label: string }[] };

/** The closures as one French sentence: annual periods, public holidays, dated closures. */
function closures({ closurePeriods, closedOnPublicHolidays, datedClosures }: Closures): string {
  const annual = closurePeriods.filter((period) => period !== "JAMAIS");
  const parts = [
    annual.length ? `annuelle : ${annual.map((period) => labelOf(CLOSURE_PERIODS, period)).join(", ")}` : null,
    closedOnPublicHolidays ? "les jours fériés" : null,
    ...datedClosures.map((c) => `du ${formatNumericDay(c.start)} au ${formatNumericDay(c.end)} (${c.label})`),
  ].filter(Boolean);
  return parts.length ? parts.join(" ; ") : "aucune";
}

/** The establishment's public page as the catalogue shows it now (gateway), beside the proposed change. */
export function PublicPage({ id, reasons }: { id: string; reasons: { code: string; label: string }[] }) {
  const [{ data, error, fetching }] = useQuery({ query: PublicPageQuery, variables: { id } });
  const [withdrawing, setWithdrawing] = useState(false);
  const [state, withdraw] = useMutation(WithdrawOperatingInfoMutation);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  async function confirm(codes: string[], comment: string) {
    const result = await withdraw({ input: { establishmentId: id, reasons: codes, comment: comment.trim() || null } });
    const payload = result.data?.withdrawOperatingInfo;
    if (result.error || !payload || payload.userErrors.length > 0) {
      setOutcome({ ok: false, text: payload?.userErrors.map((e) => e.message).join(" ") || "Le retrait n'a pas abouti." });
      return;
    }
    setWithdrawing(false);
    setOutcome({ ok: true, text: `Version ${payload.withdrawnVersion ?? ""} retirée du catalogue public ; le fournisseur en est informé.` });
  }

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
          <dd>
            <WeeklyHours slots={info.weeklyHours} />
          </dd>
          <dt>Fermetures</dt>
          <dd>{closures(info)}</dd>
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
      {outcome && <Alert small severity={outcome.ok ? "success" : "error"} description={outcome.text} className="fr-mb-2w" />}
      {info && !withdrawing && (
        <Button size="small" priority="tertiary" onClick={() => setWithdrawing(true)}>
          Retirer les informations publiées
        </Button>
      )}
      {info && withdrawing && (
        <RejectForm
          id="retrait"
          title="Retirer les informations publiées"
          commentLabel="Explication pour le fournisseur"
          reasons={reasons}
          sending={state.fetching}
          onCancel={() => setWithdrawing(false)}
          onReject={(codes, comment) => void confirm(codes, comment)}
        />
      )}
    </section>
  );
}
