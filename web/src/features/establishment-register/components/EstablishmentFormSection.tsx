import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { ErrorSummary } from "@/components/ErrorSummary";
import { Failure } from "@/components/Failure";
import type { Category, EajeType } from "@/gql/graphql";
import { CATEGORY_LABELS, EAJE_TYPE_LABELS, choicesOf } from "@/lib/establishment-vocabulary";
import { fieldId, PlacedErrors } from "@/lib/forms/user-errors";
import { RecordEstablishmentMutation } from "../api/operations";
import { FIELD_LABELS, recordInputOf, type EstablishmentForm } from "../form";

type TextKey = "name" | "streetNumber" | "streetName" | "postalCode" | "communeInsee" | "latitude" | "longitude" | "capacity";

/** Create an establishment (no id) or update one: the gateway publishes the change at once. */
export function EstablishmentFormSection({
  initial,
  providers,
  onRecorded,
  onCancel,
}: {
  initial: EstablishmentForm;
  providers: { id: string; name: string; siret?: string | null }[];
  onRecorded(name: string, created: boolean): void;
  onCancel(): void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState(new PlacedErrors());
  const [state, record] = useMutation(RecordEstablishmentMutation);
  const creating = initial.id === null;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!creating) heading.current?.focus(); // « Modifier » was pressed in the table: the form is where to go on
  }, [creating]);
  const set = <K extends keyof EstablishmentForm>(key: K, value: EstablishmentForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const prepared = recordInputOf(form);
    if ("errors" in prepared) {
      setErrors(new PlacedErrors(prepared.errors));
      return;
    }
    const result = await record({ input: prepared.input });
    const payload = result.data?.recordEstablishment;
    if (!payload) return;
    setErrors(new PlacedErrors(payload.userErrors));
    if (payload.establishmentId) onRecorded(form.name.trim(), creating);
  }

  const error = (path: string) => {
    const message = errors.under(path);
    return message ? { state: "error" as const, stateRelatedMessage: message } : {};
  };
  const text = (key: TextKey, hint?: string, inputMode?: "numeric" | "decimal") => (
    <Input
      label={FIELD_LABELS[key]}
      hintText={hint}
      {...error(key)}
      nativeInputProps={{ id: fieldId(key), value: form[key], inputMode, onChange: (e) => set(key, e.target.value) }}
    />
  );
  const title = creating ? "Nouvel établissement" : `Modifier « ${initial.name} »`;
  return (
    <section aria-labelledby="fiche" className="fr-mb-6w">
      <h2 id="fiche" className="fr-h4" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {state.error && <Failure error={state.error} />}
      <ErrorSummary errors={errors} labels={(path) => FIELD_LABELS[path]} />
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Select label={FIELD_LABELS.providerId} {...error("providerId")} nativeSelectProps={{ id: fieldId("providerId"), value: form.providerId, onChange: (e) => set("providerId", e.target.value) }}>
          <option value="" disabled>
            Choisir le gestionnaire
          </option>
          {providers.map(({ id, name, siret }) => (
            <option key={id} value={id}>
              {siret ? `${name} — SIRET ${siret}` : name}
            </option>
          ))}
        </Select>
        {text("name")}
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-6">
            <Select label={FIELD_LABELS.category} {...error("category")} nativeSelectProps={{ id: fieldId("category"), value: form.category, onChange: (e) => set("category", e.target.value as Category | "") }}>
              <option value="" disabled>
                Choisir le type
              </option>
              {choicesOf(CATEGORY_LABELS).map(({ value, label }) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </Select>
          </div>
          {form.category === "EAJE" && (
            <div className="fr-col-12 fr-col-md-6">
              <Select label={FIELD_LABELS.eajeType} {...error("eajeType")} nativeSelectProps={{ id: fieldId("eajeType"), value: form.eajeType, onChange: (e) => set("eajeType", e.target.value as EajeType | "") }}>
                <option value="" disabled>
                  Choisir le type d'EAJE
                </option>
                {choicesOf(EAJE_TYPE_LABELS).map(({ value, label }) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </Select>
            </div>
          )}
        </div>
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-2">{text("streetNumber")}</div>
          <div className="fr-col-12 fr-col-md-10">{text("streetName", "Par exemple : rue de Famars")}</div>
          <div className="fr-col-12 fr-col-md-3">{text("postalCode", "5 chiffres", "numeric")}</div>
          <div className="fr-col-12 fr-col-md-3">{text("communeInsee", "Dans le territoire de votre Caf (59606)", "numeric")}</div>
          <div className="fr-col-12 fr-col-md-3">{text("latitude", "Degrés décimaux (50,357)", "decimal")}</div>
          <div className="fr-col-12 fr-col-md-3">{text("longitude", "Degrés décimaux (3,523)", "decimal")}</div>
        </div>
        {text("capacity", "Facultatif", "numeric")}
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>
            <Button type="submit" disabled={state.fetching}>
              {creating ? "Créer l'établissement" : "Enregistrer les modifications"}
            </Button>
          </li>
          {!creating && (
            <li>
              <Button type="button" priority="secondary" onClick={onCancel}>
                Annuler
              </Button>
            </li>
          )}
        </ul>
      </form>
    </section>
  );
}
