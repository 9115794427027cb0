import { Button } from "@codegouvfr/react-dsfr/Button";
import { useState, type FormEvent } from "react";
import type { Category, RegisterFilter, RegisterStatus } from "@/gql/graphql";
import { CATEGORY_LABELS, choicesOf } from "@/lib/establishment-vocabulary";

const STATUSES: { value: RegisterStatus | ""; label: string }[] = [
  { value: "", label: "Ouverts et fermés" },
  { value: "OUVERT", label: "Ouverts" },
  { value: "FERME", label: "Fermés" },
];

interface Criteria {
  name: string;
  commune: string;
  category: Category | "";
  providerId: string;
  status: RegisterStatus | "";
}

/** The criteria typed, as the query's filter (an empty criterion filters nothing). */
function filterOf(criteria: Criteria): RegisterFilter {
  return {
    name: criteria.name.trim() || null,
    commune: criteria.commune.trim() || null,
    category: criteria.category || null,
    providerId: criteria.providerId || null,
    status: criteria.status || null,
  };
}

export function RegisterSearchForm({ providers, onSearch }: { providers: { id: string; name: string }[]; onSearch(filter: RegisterFilter): void }) {
  const [draft, setDraft] = useState<Criteria>({ name: "", commune: "", category: "", providerId: "", status: "" });
  const set = <K extends keyof Criteria>(key: K, value: Criteria[K]) => setDraft((d) => ({ ...d, [key]: value }));
  function search(event: FormEvent) {
    event.preventDefault();
    onSearch(filterOf(draft));
  }
  return (
    <form className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w" onSubmit={search} aria-label="Recherche dans le registre">
      <div className="fr-col-12 fr-col-md-4 fr-input-group">
        <label className="fr-label" htmlFor="r-name">
          Nom
        </label>
        <input id="r-name" className="fr-input" value={draft.name} onChange={(e) => set("name", e.target.value)} />
      </div>
      <div className="fr-col-12 fr-col-md-4 fr-input-group">
        <label className="fr-label" htmlFor="r-commune">
          Commune
          <span className="fr-hint-text">Nom, code postal ou code INSEE</span>
        </label>
        <input id="r-commune" className="fr-input" value={draft.commune} onChange={(e) => set("commune", e.target.value)} />
      </div>
      <div className="fr-col-12 fr-col-md-4 fr-select-group">
        <label className="fr-label" htmlFor="r-category">
          Type de structure
        </label>
        <select id="r-category" className="fr-select" value={draft.category} onChange={(e) => set("category", e.target.value as Category | "")}>
          <option value="">Tous les types</option>
          {choicesOf(CATEGORY_LABELS).map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-4 fr-select-group">
        <label className="fr-label" htmlFor="r-provider">
          Gestionnaire
        </label>
        <select id="r-provider" className="fr-select" value={draft.providerId} onChange={(e) => set("providerId", e.target.value)}>
          <option value="">Tous les gestionnaires</option>
          {providers.map(({ id, name }) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-4 fr-select-group">
        <label className="fr-label" htmlFor="r-status">
          État
        </label>
        <select id="r-status" className="fr-select" value={draft.status} onChange={(e) => set("status", e.target.value as RegisterStatus | "")}>
          {STATUSES.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-4">
        <Button type="submit">Rechercher</Button>
      </div>
    </form>
  );
}
