import { formatNumericDay } from "@/lib/dates";
import { WeeklyHours } from "@/components/WeeklyHours";
import type { OperatingInfoForm } from "../form";
import { AGE_UNITS, CARE_KINDS, CLOSURE_PERIODS, FUNDING, labelOf } from "@/lib/operating-info-vocabulary";

const age = (value: { value: string; unit: string }) => (value.value ? `${value.value} ${labelOf(AGE_UNITS, value.unit)}` : null);
const yesNo = { oui: "Oui", non: "Non", "": null } as const;

/** The document as families will read it on the establishment's page of monenfant.fr. */
export function Preview({ name, form }: { name: string; form: OperatingInfoForm }) {
  const rows: [string, string | null][] = [
    ["Accueil sur rendez-vous", form.byAppointment ? "Oui" : null],
    ["Précisions sur les horaires", form.hoursNote || null],
    ["Fermeture annuelle", form.closurePeriods.map((p) => labelOf(CLOSURE_PERIODS, p)).join(", ") || null],
    ["Jours fériés", form.closedOnPublicHolidays ? "Fermé les jours fériés" : "Ouvert les jours fériés"],
    ["Âge d'accueil", [age(form.ageMin) && `à partir de ${age(form.ageMin)}`, age(form.ageMax) && `jusqu'à ${age(form.ageMax)}`].filter(Boolean).join(" ") || null],
    ["Nombre de places", form.capacity || null],
    ["Types d'accueil", form.careKinds.map((k) => labelOf(CARE_KINDS, k)).join(", ") || null],
    ["Repas fournis", yesNo[form.mealsProvided]],
    ["Couches fournies", yesNo[form.nappiesProvided]],
    ["Accueil des enfants en situation de handicap", form.disabilityWelcome || null],
    ["Projet pédagogique ou d'établissement", form.project || null],
    ["Présentation du gestionnaire", form.providerPresentation || null],
    ["Équipe", form.team || null],
    ["Tarifs", [form.nationalFeeScale ? "Barème national des participations familiales (Cnaf)" : null, form.fees || null].filter(Boolean).join(" — ") || null],
    ["Financements", form.funding.map((f) => labelOf(FUNDING, f)).join(", ") || null],
    ["Conditions d'admission", form.admissionConditions || null],
    ["Modalités d'inscription", form.registration || null],
    ["Communes desservies", form.servedCommunes.map((c) => `${c.name} (${c.postalCode})`).join(", ") || null],
    ["Langues parlées", form.languages || null],
    ["Accessibilité", form.accessibilityUrl || null],
  ];
  return (
    <section aria-labelledby="apercu" className="fr-p-3w fr-background-alt--grey">
      <h2 id="apercu">Aperçu : ce que verront les familles</h2>
      <h3 className="fr-h5">{name}</h3>
      <h4 className="fr-h6">Horaires d'ouverture</h4>
      <WeeklyHours slots={form.openingHours} />
      {form.datedClosures.length > 0 && (
        <>
          <h4 className="fr-h6">Fermetures</h4>
          <ul>
            {form.datedClosures.map((closure, index) => (
              <li key={index}>
                {closure.start ? formatNumericDay(closure.start) : "?"} – {closure.end ? formatNumericDay(closure.end) : "?"}
                {closure.label && ` : ${closure.label}`}
              </li>
            ))}
          </ul>
        </>
      )}
      <dl>
        {rows
          .filter((row): row is [string, string] => row[1] !== null)
          .map(([term, value]) => (
            <div key={term} className="fr-mb-1w">
              <dt className="fr-text--bold">{term}</dt>
              <dd className="fr-ml-0">{value}</dd>
            </div>
          ))}
      </dl>
    </section>
  );
}
