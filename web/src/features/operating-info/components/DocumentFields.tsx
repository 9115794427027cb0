import { Button } from "@codegouvfr/react-dsfr/Button";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { useContext } from "react";
import { fieldId } from "@/lib/forms/user-errors";
import { WEEKDAYS, type OperatingInfoForm } from "../form";
import { AGE_UNITS, CARE_KINDS, CLOSURE_PERIODS, FUNDING } from "@/lib/operating-info-vocabulary";
import { CheckboxField, ChoicesField, ErrorsContext, TextField, YesNoField } from "./fields";

/** The first segment of an input path, in French, for the error summary. */
export const FIELD_LABELS: Record<string, string> = {
  openingHours: "Horaires d'ouverture",
  hoursNote: "Précisions sur les horaires",
  byAppointment: "Accueil sur rendez-vous",
  closurePeriods: "Périodes de fermeture annuelle",
  datedClosures: "Fermetures datées",
  closedOnPublicHolidays: "Jours fériés",
  ageMin: "Âge minimum d'accueil",
  ageMax: "Âge maximum d'accueil",
  capacity: "Nombre de places",
  mealsProvided: "Repas fournis",
  nappiesProvided: "Couches fournies",
  disabilityWelcome: "Accueil des enfants en situation de handicap",
  project: "Projet pédagogique ou d'établissement",
  providerPresentation: "Présentation du gestionnaire",
  team: "Équipe",
  nationalFeeScale: "Barème national",
  fees: "Modalités tarifaires",
  funding: "Financements",
  admissionConditions: "Conditions d'admission",
  registration: "Modalités d'inscription",
  eligibleWorkCommunes: "Communes de travail admises",
  eligibleHomeCommunes: "Communes de résidence admises",
  servedCommunes: "Communes desservies",
  careKinds: "Types d'accueil",
  languages: "Langues parlées",
  accessibilityUrl: "Accessibilité",
};

type SetForm = (change: (form: OperatingInfoForm) => OperatingInfoForm) => void;

export function DocumentFields({ form, setForm }: { form: OperatingInfoForm; setForm: SetForm }) {
  const set = <K extends keyof OperatingInfoForm>(key: K) => (value: OperatingInfoForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  return (
    <>
      <OpeningHours form={form} setForm={setForm} />
      <TextField path="hoursNote" label="Précisions sur les horaires" multiline maxLength={1000} value={form.hoursNote} onChange={set("hoursNote")} />
      <CheckboxField path="byAppointment" label="Accueil sur rendez-vous" checked={form.byAppointment} onChange={set("byAppointment")} />

      <h2 className="fr-h4 fr-mt-5w">Fermetures</h2>
      <ChoicesField path="closurePeriods" legend="Périodes de fermeture annuelle" choices={CLOSURE_PERIODS} values={form.closurePeriods} onChange={set("closurePeriods")} />
      <CheckboxField path="closedOnPublicHolidays" label="Fermé les jours fériés" checked={form.closedOnPublicHolidays} onChange={set("closedOnPublicHolidays")} />
      <DatedClosures form={form} setForm={setForm} />

      <h2 className="fr-h4 fr-mt-5w">Accueil</h2>
      <AgeField path="ageMin" legend="Âge minimum d'accueil" value={form.ageMin} onChange={set("ageMin")} />
      <AgeField path="ageMax" legend="Âge maximum d'accueil" value={form.ageMax} onChange={set("ageMax")} />
      <TextField path="capacity" label="Nombre de places" inputMode="numeric" value={form.capacity} onChange={set("capacity")} />
      <ChoicesField path="careKinds" legend="Types d'accueil" choices={CARE_KINDS} values={form.careKinds} onChange={set("careKinds")} />
      <YesNoField path="mealsProvided" legend="Repas fournis" value={form.mealsProvided} onChange={set("mealsProvided")} />
      <YesNoField path="nappiesProvided" legend="Couches fournies" value={form.nappiesProvided} onChange={set("nappiesProvided")} />
      <TextField path="disabilityWelcome" label="Accueil des enfants en situation de handicap" multiline value={form.disabilityWelcome} onChange={set("disabilityWelcome")} />

      <h2 className="fr-h4 fr-mt-5w">Présentation</h2>
      <TextField path="project" label="Projet pédagogique ou d'établissement" multiline value={form.project} onChange={set("project")} />
      <TextField path="providerPresentation" label="Présentation du gestionnaire" multiline value={form.providerPresentation} onChange={set("providerPresentation")} />
      <TextField path="team" label="Équipe" multiline value={form.team} onChange={set("team")} />

      <h2 className="fr-h4 fr-mt-5w">Tarifs et financements</h2>
      <CheckboxField path="nationalFeeScale" label="Barème national des participations familiales (Cnaf)" checked={form.nationalFeeScale} onChange={set("nationalFeeScale")} />
      <TextField path="fees" label="Modalités tarifaires" multiline value={form.fees} onChange={set("fees")} />
      <ChoicesField path="funding" legend="Financements" choices={FUNDING} values={form.funding} onChange={set("funding")} />

      <h2 className="fr-h4 fr-mt-5w">Admission</h2>
      <TextField path="admissionConditions" label="Conditions d'admission" multiline value={form.admissionConditions} onChange={set("admissionConditions")} />
      <TextField path="registration" label="Modalités d'inscription" multiline value={form.registration} onChange={set("registration")} />
      <TextField path="eligibleHomeCommunes" label="Communes de résidence admises" hint="Codes INSEE séparés par des virgules (par exemple 59207, 59606)." value={form.eligibleHomeCommunes} onChange={set("eligibleHomeCommunes")} />
      <TextField path="eligibleWorkCommunes" label="Communes de travail admises" hint="Codes INSEE séparés par des virgules." value={form.eligibleWorkCommunes} onChange={set("eligibleWorkCommunes")} />
      <ServedCommunes form={form} setForm={setForm} />

      <h2 className="fr-h4 fr-mt-5w">Autres informations</h2>
      <TextField path="languages" label="Langues parlées" hint="Séparées par des virgules (par exemple français, anglais)." value={form.languages} onChange={set("languages")} />
      <TextField path="accessibilityUrl" label="Accessibilité (adresse de la fiche Acceslibre)" type="url" inputMode="url" hint="Par exemple https://acceslibre.beta.gouv.fr/…" value={form.accessibilityUrl} onChange={set("accessibilityUrl")} />
    </>
  );
}

function GroupError({ path }: { path: string }) {
  const message = useContext(ErrorsContext).at(path).join(" ");
  return message ? (
    <p id={fieldId(path)} className="fr-error-text" tabIndex={-1}>
      {message}
    </p>
  ) : null;
}

function OpeningHours({ form, setForm }: { form: OperatingInfoForm; setForm: SetForm }) {
  const update = (index: number, part: "opens" | "closes", value: string) =>
    setForm((f) => ({ ...f, openingHours: f.openingHours.map((slot, i) => (i === index ? { ...slot, [part]: value } : slot)) }));
  const add = (day: (typeof WEEKDAYS)[number]["day"]) =>
    setForm((f) => ({ ...f, openingHours: [...f.openingHours, { day, opens: "", closes: "" }] }));
  const remove = (index: number) => setForm((f) => ({ ...f, openingHours: f.openingHours.filter((_, i) => i !== index) }));
  return (
    <>
      <h2 className="fr-h4">Jours et horaires d'ouverture</h2>
      <p className="fr-hint-text">Un jour sans créneau est un jour de fermeture. Plusieurs créneaux par jour sont possibles (matin et après-midi).</p>
      <GroupError path="openingHours" />
      {WEEKDAYS.map(({ day, label }) => {
        const slots = form.openingHours.map((slot, index) => ({ slot, index })).filter(({ slot }) => slot.day === day);
        return (
          <fieldset key={day} className="fr-fieldset fr-mb-2w">
            <legend className="fr-fieldset__legend fr-text--regular">
              <strong>{label}</strong> {slots.length === 0 && "— fermé"}
            </legend>
            {slots.map(({ slot, index }, position) => (
              <div key={index} className="fr-fieldset__element fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
                <div className="fr-col-12 fr-col-sm-4">
                  <TextField path={`openingHours[${index}].opens`} label={`Ouverture, créneau ${position + 1}`} type="time" value={slot.opens} onChange={(v) => update(index, "opens", v)} />
                </div>
                <div className="fr-col-12 fr-col-sm-4">
                  <TextField path={`openingHours[${index}].closes`} label={`Fermeture, créneau ${position + 1}`} type="time" value={slot.closes} onChange={(v) => update(index, "closes", v)} />
                </div>
                <div className="fr-col-12 fr-col-sm-4">
                  <Button type="button" priority="tertiary" size="small" iconId="fr-icon-delete-line" onClick={() => remove(index)}>
                    Retirer le créneau {position + 1} du {label.toLowerCase()}
                  </Button>
                </div>
                <div className="fr-col-12">
                  <GroupError path={`openingHours[${index}]`} />
                </div>
              </div>
            ))}
            <div className="fr-fieldset__element">
              <Button type="button" priority="secondary" size="small" iconId="fr-icon-add-line" onClick={() => add(day)}>
                Ajouter un créneau le {label.toLowerCase()}
              </Button>
            </div>
          </fieldset>
        );
      })}
    </>
  );
}

function DatedClosures({ form, setForm }: { form: OperatingInfoForm; setForm: SetForm }) {
  const update = (index: number, part: "start" | "end" | "label", value: string) =>
    setForm((f) => ({ ...f, datedClosures: f.datedClosures.map((c, i) => (i === index ? { ...c, [part]: value } : c)) }));
  return (
    <fieldset className="fr-fieldset">
      <legend className="fr-fieldset__legend">Fermetures datées (ponts, journées pédagogiques…)</legend>
      <GroupError path="datedClosures" />
      {form.datedClosures.map((closure, index) => (
        <div key={index} className="fr-fieldset__element fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-sm-3">
            <TextField path={`datedClosures[${index}].start`} label={`Début, fermeture ${index + 1}`} type="date" value={closure.start} onChange={(v) => update(index, "start", v)} />
          </div>
          <div className="fr-col-12 fr-col-sm-3">
            <TextField path={`datedClosures[${index}].end`} label={`Fin, fermeture ${index + 1}`} type="date" value={closure.end} onChange={(v) => update(index, "end", v)} />
          </div>
          <div className="fr-col-12 fr-col-sm-4">
            <TextField path={`datedClosures[${index}].label`} label={`Motif, fermeture ${index + 1}`} maxLength={200} value={closure.label} onChange={(v) => update(index, "label", v)} />
          </div>
          <div className="fr-col-12 fr-col-sm-2">
            <Button type="button" priority="tertiary" size="small" iconId="fr-icon-delete-line" onClick={() => setForm((f) => ({ ...f, datedClosures: f.datedClosures.filter((_, i) => i !== index) }))}>
              Retirer la fermeture {index + 1}
            </Button>
          </div>
        </div>
      ))}
      <div className="fr-fieldset__element">
        <Button type="button" priority="secondary" size="small" iconId="fr-icon-add-line" onClick={() => setForm((f) => ({ ...f, datedClosures: [...f.datedClosures, { start: "", end: "", label: "" }] }))}>
          Ajouter une fermeture
        </Button>
      </div>
    </fieldset>
  );
}

function ServedCommunes({ form, setForm }: { form: OperatingInfoForm; setForm: SetForm }) {
  const update = (index: number, part: "name" | "postalCode", value: string) =>
    setForm((f) => ({ ...f, servedCommunes: f.servedCommunes.map((c, i) => (i === index ? { ...c, [part]: value } : c)) }));
  return (
    <fieldset className="fr-fieldset">
      <legend className="fr-fieldset__legend">Communes desservies</legend>
      <GroupError path="servedCommunes" />
      {form.servedCommunes.map((commune, index) => (
        <div key={index} className="fr-fieldset__element fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-sm-5">
            <TextField path={`servedCommunes[${index}].name`} label={`Commune ${index + 1}`} value={commune.name} onChange={(v) => update(index, "name", v)} />
          </div>
          <div className="fr-col-12 fr-col-sm-4">
            <TextField path={`servedCommunes[${index}].postalCode`} label={`Code postal, commune ${index + 1}`} inputMode="numeric" value={commune.postalCode} onChange={(v) => update(index, "postalCode", v)} />
          </div>
          <div className="fr-col-12 fr-col-sm-3">
            <Button type="button" priority="tertiary" size="small" iconId="fr-icon-delete-line" onClick={() => setForm((f) => ({ ...f, servedCommunes: f.servedCommunes.filter((_, i) => i !== index) }))}>
              Retirer la commune {index + 1}
            </Button>
          </div>
        </div>
      ))}
      <div className="fr-fieldset__element">
        <Button type="button" priority="secondary" size="small" iconId="fr-icon-add-line" onClick={() => setForm((f) => ({ ...f, servedCommunes: [...f.servedCommunes, { name: "", postalCode: "" }] }))}>
          Ajouter une commune
        </Button>
      </div>
    </fieldset>
  );
}

function AgeField({ path, legend, value, onChange }: { path: string; legend: string; value: OperatingInfoForm["ageMin"]; onChange(value: OperatingInfoForm["ageMin"]): void }) {
  const errors = useContext(ErrorsContext);
  const message = errors.under(path);
  return (
    <fieldset className="fr-fieldset" aria-invalid={message ? true : undefined}>
      <legend className="fr-fieldset__legend">{legend}</legend>
      <div className="fr-fieldset__element fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-6 fr-col-sm-3">
          <TextField path={`${path}.value`} label="Valeur" inputMode="numeric" value={value.value} onChange={(v) => onChange({ ...value, value: v })} />
        </div>
        <div className="fr-col-6 fr-col-sm-3">
          <Select label="Unité" nativeSelectProps={{ id: fieldId(`${path}.unit`), value: value.unit, onChange: (e) => onChange({ ...value, unit: e.target.value as typeof value.unit }) }}>
            {AGE_UNITS.map((unit) => (
              <option key={unit.value} value={unit.value}>
                {unit.label}
              </option>
            ))}
          </Select>
        </div>
      </div>
      {message && !errors.at(`${path}.value`).length && (
        <p id={fieldId(path)} className="fr-error-text fr-fieldset__element">
          {message}
        </p>
      )}
    </fieldset>
  );
}
