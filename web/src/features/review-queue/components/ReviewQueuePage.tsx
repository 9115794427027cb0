import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { TableFrame } from "@/components/TableFrame";
import { Failure, Loading } from "@/components/Failure";
import { usePageTitle } from "@/components/usePageTitle";
import type { Category, ClaimState, QueueFilterInput, ReviewQueueQuery as QueueData } from "@/gql-moderation/graphql";
import { useMe } from "@/lib/auth/agent-kind";
import { OnModeration } from "@/lib/graphql/clients";
import { BulkApproveMutation, ReviewQueueQuery } from "../api/operations.moderation";
import { formatAge, holderOf } from "../lease";
import { SHORTCUTS, setShortcutsEnabled, shortcutOf, shortcutsEnabled } from "../shortcuts";
import { type ItemActions, ReviewItemPanel } from "./ReviewItemPanel";
import { useNow } from "./use-now";
import { CATEGORIES, categoriesOf } from "../categories";

type Node = QueueData["reviewQueue"]["edges"][number]["node"];

interface Filters {
  flagged: "" | "yes" | "no";
  claim: "" | ClaimState;
  departement: string;
  category: "" | Category;
  olderThanHours: string;
  flaggedFirst: boolean;
}

export function ReviewQueuePage() {
  usePageTitle("File de modération");
  const me = useMe();
  return (
    <>
      <h1>File de modération</h1>
      <OnModeration
        unavailable={
          <Alert
            severity="warning"
            title="File de modération indisponible"
            description="La passerelle ne connaît pas l'adresse du service de modération (GATEWAY_MODERATION_URL) : adressez-vous à l'exploitant."
          />
        }
      >
        <Queue me={me?.agentNumber ?? null} />
      </OnModeration>
    </>
  );
}

function filterOf(filters: Filters, now: number): QueueFilterInput {
  const hours = Number(filters.olderThanHours);
  return {
    flagged: filters.flagged === "" ? null : filters.flagged === "yes",
    claim: filters.claim === "" ? null : filters.claim,
    departement: filters.departement.trim() || null,
    categories: categoriesOf(filters.category),
    submittedBefore: hours > 0 ? new Date(now - hours * 3_600_000).toISOString() : null,
  };
}

function Queue({ me }: { me: string | null }) {
  const [filters, setFilters] = useState<Filters>({ flagged: "", claim: "", departement: "", category: "", olderThanHours: "", flaggedFirst: false });
  // The age filter's instant is fixed when the filters change, not at each render (the query would never settle).
  const filter = useMemo(() => filterOf(filters, Date.now()), [filters]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: ReviewQueueQuery, variables: { filter, flaggedFirst: filters.flaggedFirst } });
  useEffect(() => {
    const timer = window.setInterval(() => refetch({ requestPolicy: "network-only" }), 15_000);
    return () => window.clearInterval(timer);
  }, [refetch]);
  const [params, setParams] = useSearchParams();
  const selected = params.get("element");
  const nodes = useMemo(() => data?.reviewQueue.edges.map((e) => e.node) ?? [], [data]);
  const lastIndex = useRef(0);
  const actions = useRef<ItemActions | null>(null);
  const [help, setHelp] = useState(false);
  const [enabled, setEnabled] = useState(() => shortcutsEnabled(window.localStorage));

  const index = nodes.findIndex((n) => n.id === selected);
  if (index >= 0) lastIndex.current = index;

  function select(id: string) {
    setParams((p) => {
      const next = new URLSearchParams(p);
      next.set("element", id);
      return next;
    });
  }

  function move(step: 1 | -1) {
    if (nodes.length === 0) return;
    // A decided item leaves the queue: « next » is then the one that took its place.
    const from = index >= 0 ? index + step : step === 1 ? lastIndex.current : lastIndex.current - 1;
    const to = Math.min(nodes.length - 1, Math.max(0, selected === null ? 0 : from));
    select(nodes[to]!.id);
  }

  // A layout effect, re-registered in the same commit as the DOM it acts on: with a passive effect, a key pressed
  // just after the list appeared still reached the previous render's handler, whose list was empty (key lost).
  useLayoutEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutOf(event);
      if (action === null) return;
      event.preventDefault();
      if (action === "next") move(1);
      else if (action === "previous") move(-1);
      else if (action === "help") setHelp((h) => !h);
      else actions.current?.[action]();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  function toggleShortcuts(on: boolean) {
    setShortcutsEnabled(window.localStorage, on);
    setEnabled(on);
  }

  return (
    <>
      <Depth depth={data?.queueDepth} />
      <QueueFilters filters={filters} onChange={setFilters} />
      <div className="fr-toggle fr-mb-2w">
        <input type="checkbox" className="fr-toggle__input" id="raccourcis" checked={enabled} onChange={(e) => toggleShortcuts(e.target.checked)} aria-describedby="raccourcis-aide" />
        <label className="fr-toggle__label" htmlFor="raccourcis">
          Raccourcis clavier
        </label>
        <p className="fr-hint-text" id="raccourcis-aide">
          j / k : suivant / précédent, c : prendre en charge, a : valider, r : refuser, ? : la liste.
        </p>
      </div>
      {help && enabled && <ShortcutHelp onClose={() => setHelp(false)} />}
      {error && !data && <Failure error={error} title="Impossible d'afficher la file" />}
      {!data && fetching && <Loading what="de la file" />}
      {data && <QueueTable nodes={nodes} selected={selected} me={me} onSelect={select} onDecided={() => refetch({ requestPolicy: "network-only" })} />}
      {selected && (
        <div className="fr-mt-4w">
          <ReviewItemPanel id={selected} me={me} actions={actions} />
        </div>
      )}
    </>
  );
}

function Depth({ depth }: { depth: QueueData["queueDepth"] | undefined }) {
  const now = useNow(30_000);
  if (!depth) return null;
  return (
    <p className="fr-text--lead" id="profondeur">
      <strong>{depth.pending}</strong> saisie{depth.pending > 1 ? "s" : ""} en attente, dont <strong>{depth.flagged}</strong> signalée
      {depth.flagged > 1 ? "s" : ""}
      {depth.oldestSubmittedAt && <> ; la plus ancienne attend depuis {formatAge(depth.oldestSubmittedAt, now)}</>}.
    </p>
  );
}

function QueueFilters({ filters, onChange }: { filters: Filters; onChange(f: Filters): void }) {
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => onChange({ ...filters, [key]: value });
  return (
    <form className="fr-grid-row fr-grid-row--gutters fr-mb-2w" aria-label="Filtres de la file" onSubmit={(e) => e.preventDefault()}>
      <div className="fr-col-12 fr-col-md-2 fr-select-group">
        <label className="fr-label" htmlFor="filtre-departement">
          Département
        </label>
        <input id="filtre-departement" className="fr-input" value={filters.departement} maxLength={3} onChange={(e) => set("departement", e.target.value)} />
      </div>
      <div className="fr-col-12 fr-col-md-3 fr-select-group">
        <label className="fr-label" htmlFor="filtre-categorie">
          Type de structure
        </label>
        <select id="filtre-categorie" className="fr-select" value={filters.category} onChange={(e) => set("category", e.target.value as Filters["category"])}>
          <option value="">Tous</option>
          {CATEGORIES.map(([code, label]) => (
            <option key={code} value={code}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-2 fr-select-group">
        <label className="fr-label" htmlFor="filtre-signalement">
          Signalement
        </label>
        <select id="filtre-signalement" className="fr-select" value={filters.flagged} onChange={(e) => set("flagged", e.target.value as Filters["flagged"])}>
          <option value="">Toutes</option>
          <option value="yes">Signalées</option>
          <option value="no">Sans signalement</option>
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-3 fr-select-group">
        <label className="fr-label" htmlFor="filtre-prise">
          Prise en charge
        </label>
        <select id="filtre-prise" className="fr-select" value={filters.claim} onChange={(e) => set("claim", e.target.value as Filters["claim"])}>
          <option value="">Toutes</option>
          <option value="MINE">Par moi</option>
          <option value="OTHERS">Par d'autres</option>
          <option value="FREE">Libres</option>
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-2 fr-select-group">
        <label className="fr-label" htmlFor="filtre-age">
          Ancienneté
        </label>
        <select id="filtre-age" className="fr-select" value={filters.olderThanHours} onChange={(e) => set("olderThanHours", e.target.value)}>
          <option value="">Toutes</option>
          <option value="24">Plus d'un jour</option>
          <option value="72">Plus de trois jours</option>
          <option value="168">Plus d'une semaine</option>
        </select>
      </div>
      <div className="fr-col-12 fr-col-md-3 fr-select-group">
        <label className="fr-label" htmlFor="filtre-ordre">
          Ordre
        </label>
        <select id="filtre-ordre" className="fr-select" value={filters.flaggedFirst ? "flagged" : "oldest"} onChange={(e) => set("flaggedFirst", e.target.value === "flagged")}>
          <option value="oldest">Les plus anciennes d'abord</option>
          <option value="flagged">Les signalées d'abord</option>
        </select>
      </div>
    </form>
  );
}

function QueueTable({ nodes, selected, me, onSelect, onDecided }: { nodes: Node[]; selected: string | null; me: string | null; onSelect(id: string): void; onDecided(): void }) {
  const now = useNow(5000);
  const [chosen, setChosen] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [bulk, approveAll] = useMutation(BulkApproveMutation);
  const [outcome, setOutcome] = useState<string | null>(null);
  const eligible = nodes.filter((n) => n.flags.length === 0 && holderOf(n, me, now) !== "other");
  const picked = eligible.filter((n) => chosen.includes(n.id));

  async function confirm() {
    const result = await approveAll({ ids: picked.map((n) => n.id) });
    const payload = result.data?.bulkApproveUnflagged;
    setConfirming(false);
    setChosen([]);
    if (payload) setOutcome(`${payload.approved.length} saisie(s) validée(s), ${payload.skipped.length} écartée(s) (signalées, déjà décidées ou prises par un autre).`);
    onDecided();
  }

  if (nodes.length === 0) return <p>Aucune saisie n'attend de décision avec ces filtres.</p>;
  return (
    <>
      {outcome && <Alert className="fr-mb-2w" severity="success" small description={outcome} />}
      <TableFrame label="Saisies en attente">
        <table>
          <caption>Saisies en attente ({nodes.length})</caption>
          <thead>
            <tr>
              <th scope="col">Validation en lot</th>
              <th scope="col">Établissement</th>
              <th scope="col">Dépt.</th>
              <th scope="col">Attend depuis</th>
              <th scope="col">Signalements</th>
              <th scope="col">Prise en charge</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => {
              const holder = holderOf(node, me, now);
              const canBulk = eligible.includes(node);
              return (
                <tr key={node.id} aria-current={node.id === selected ? "true" : undefined} className={node.id === selected ? "queue-selected" : undefined}>
                  <td>
                    {canBulk && (
                      <div className="fr-checkbox-group fr-checkbox-group--sm">
                        <input
                          type="checkbox"
                          id={`lot-${node.id}`}
                          checked={chosen.includes(node.id)}
                          onChange={(e) => setChosen((c) => (e.target.checked ? [...c, node.id] : c.filter((x) => x !== node.id)))}
                        />
                        <label className="fr-label" htmlFor={`lot-${node.id}`}>
                          <span className="fr-sr-only">Choisir {node.establishment.name}</span>
                        </label>
                      </div>
                    )}
                  </td>
                  <td>
                    <button type="button" className="fr-link" onClick={() => onSelect(node.id)}>
                      {node.establishment.name}
                    </button>
                    {node.id === selected && <span className="fr-sr-only"> (affichée)</span>}
                    {node.categoryLabel && <span className="fr-hint-text">{node.categoryLabel}</span>}
                  </td>
                  <td>{node.departement}</td>
                  <td>{formatAge(node.submittedAt, now)}</td>
                  <td>
                    {node.flags.length > 0 ? (
                      <Badge small severity={node.flags.some((f) => f.severity === "HIGH") ? "error" : "warning"}>
                        {`${node.flags.length} signalement${node.flags.length > 1 ? "s" : ""}`}
                      </Badge>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>{holder === "me" ? "Par vous" : holder === "other" ? `Par ${node.claimedBy}` : "Libre"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableFrame>
      <Button priority="secondary" disabled={picked.length === 0} onClick={() => setConfirming(true)}>
        {`Valider la sélection (${picked.length})`}
      </Button>
      {confirming && (
        <section role="alertdialog" aria-labelledby="lot-titre" aria-describedby="lot-liste" className="fr-mt-2w fr-p-2w fr-background-alt--blue-france">
          <h2 id="lot-titre" className="fr-h5">
            Valider ces {picked.length} saisies sans signalement ?
          </h2>
          <ul id="lot-liste">
            {picked.map((n) => (
              <li key={n.id}>
                {n.establishment.name} — version {n.version}, soumise par {n.submittedBy}
              </li>
            ))}
          </ul>
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button disabled={bulk.fetching} onClick={() => void confirm()}>
                Confirmer la validation
              </Button>
            </li>
            <li>
              <Button priority="secondary" onClick={() => setConfirming(false)}>
                Annuler
              </Button>
            </li>
          </ul>
        </section>
      )}
    </>
  );
}

function ShortcutHelp({ onClose }: { onClose(): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="raccourcis-titre" className="fr-p-2w fr-mb-2w fr-background-alt--grey">
      <h2 id="raccourcis-titre" ref={heading} tabIndex={-1} className="fr-h6">
        Raccourcis clavier
      </h2>
      <dl>
        {SHORTCUTS.map((s) => (
          <div key={s.key}>
            <dt>
              <kbd>{s.key}</kbd>
            </dt>
            <dd>{s.label}</dd>
          </div>
        ))}
      </dl>
      <Button priority="tertiary" size="small" onClick={onClose}>
        Fermer la liste
      </Button>
    </section>
  );
}
