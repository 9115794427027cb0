import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useEffect, useRef, useState, type MutableRefObject } from "react";
import { useMutation, useQuery } from "urql";
import { Failure, Loading } from "@/components/Failure";
import type { CombinedError } from "@urql/core";
import type { RefusalReason, ReviewItemQuery as ReviewItemData } from "@/gql-moderation/graphql";
import { formatDateTime } from "@/lib/dates";
import { OnGateway } from "@/lib/graphql/clients";
import {
  ApproveMutation,
  ClaimMutation,
  RejectMutation,
  ReleaseMutation,
  ReviewItemQuery,
} from "../api/operations.moderation";
import { formatRemaining, holderOf, remainingSeconds } from "../lease";
import { DiffTable } from "./DiffTable";
import { PublicPage } from "./PublicPage";
import { RejectForm } from "./RejectForm";
import { useNow } from "./use-now";

type Item = NonNullable<ReviewItemData["reviewItem"]>;
type UserErrors = { field?: string | null; code: string; message: string }[];
type Outcome = { error?: CombinedError; payload?: { userErrors: UserErrors } };

/** What the queue's keyboard shortcuts ask of the open item. */
export interface ItemActions {
  claim(): void;
  approve(): void;
  reject(): void;
}

export function ReviewItemPanel({ id, me, actions }: { id: string; me: string | null; actions: MutableRefObject<ItemActions | null> }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ReviewItemQuery, variables: { id } });
  useEffect(() => {
    // Another moderator may claim or decide it meanwhile.
    const timer = window.setInterval(() => refetch({ requestPolicy: "network-only" }), 10_000);
    return () => window.clearInterval(timer);
  }, [refetch]);
  if (error && !data) return <Failure error={error} title="Impossible d'afficher cette saisie" />;
  if (!data) return fetching ? <Loading what="de la saisie" /> : null;
  if (!data.reviewItem) return <p>Cette saisie n'est pas dans la file de votre Caf.</p>;
  return <ItemView key={data.reviewItem.id} item={data.reviewItem} reasons={data.refusalReasons} me={me} actions={actions} />;
}

function ItemView({ item, reasons, me, actions }: { item: Item; reasons: { code: string; label: string }[]; me: string | null; actions: MutableRefObject<ItemActions | null> }) {
  const now = useNow();
  const holder = holderOf(item, me, now);
  const pending = item.status === "PENDING";
  const [refusals, setRefusals] = useState<UserErrors>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [claimState, claim] = useMutation(ClaimMutation);
  const [, release] = useMutation(ReleaseMutation);
  const [approveState, approve] = useMutation(ApproveMutation);
  const [rejectState, reject] = useMutation(RejectMutation);
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const notices = useRef<HTMLDivElement>(null);

  async function act(run: () => Promise<Outcome>, done: string) {
    setRefusals([]);
    setNotice(null);
    setFailure(null);
    const { error, payload } = await run();
    if (error) setFailure(error);
    else if (payload && payload.userErrors.length > 0) setRefusals(payload.userErrors);
    else setNotice(done);
    notices.current?.focus();
  }

  const variables = { id: item.id, rowVersion: item.rowVersion };
  const doClaim = () =>
    act(() => claim(variables).then((r) => ({ error: r.error, payload: r.data?.claimReviewItem })), "Vous avez pris cette saisie en charge.");
  const doRelease = () =>
    act(
      () => release(variables).then((r) => ({ error: r.error, payload: r.data?.releaseReviewItem })),
      "Saisie relâchée : un autre modérateur peut la prendre en charge.",
    );
  const doApprove = () =>
    act(() => approve(variables).then((r) => ({ error: r.error, payload: r.data?.approveReviewItem })), "Saisie validée : elle sera publiée.");
  const doReject = (codes: string[], comment: string) =>
    act(
      () =>
        reject({ ...variables, reasons: codes as RefusalReason[], comment: comment.trim() || null }).then((r) => ({
          error: r.error,
          payload: r.data?.rejectReviewItem,
        })),
      "Saisie refusée : l'agent en est informé avec vos motifs.",
    ).then(() => setRejecting(false));

  actions.current = {
    claim: () => pending && holder !== "other" && holder !== "me" && void doClaim(),
    approve: () => pending && holder === "me" && void doApprove(),
    reject: () => pending && holder === "me" && setRejecting(true),
  };

  return (
    <article aria-labelledby="element-titre">
      <h2 id="element-titre" className="fr-h3">
        {item.establishment.name}
      </h2>
      <p>
        Version {item.version} soumise le {formatDateTime(item.submittedAt)} par l'agent {item.submittedBy} — département {item.departement}{" "}
        <Badge small severity={item.status === "REJECTED" ? "error" : item.status === "APPROVED" ? "success" : "info"}>
          {item.statusLabel}
        </Badge>
      </p>
      <div ref={notices} tabIndex={-1}>
        {failure && <Failure error={failure} />}
        {refusals.length > 0 && (
          <Alert
            className="fr-mb-2w"
            severity="error"
            title="Action refusée"
            description={
              <ul>
                {refusals.map((r) => (
                  <li key={`${r.code}-${r.field ?? ""}`}>{r.message}</li>
                ))}
              </ul>
            }
          />
        )}
        {notice && <Alert className="fr-mb-2w" severity="success" small description={notice} />}
      </div>
      {pending && <Lease item={item} holder={holder} remaining={remainingSeconds(item, now)} />}
      {pending && (
        <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left">
          {holder !== "me" && (
            <li>
              <Button iconId="fr-icon-lock-line" disabled={holder === "other" || claimState.fetching} onClick={() => void doClaim()}>
                Prendre en charge
              </Button>
            </li>
          )}
          {holder === "me" && (
            <>
              <li>
                <Button iconId="fr-icon-check-line" disabled={approveState.fetching} onClick={() => void doApprove()}>
                  Valider
                </Button>
              </li>
              <li>
                <Button iconId="fr-icon-close-line" priority="secondary" onClick={() => setRejecting(true)}>
                  Refuser
                </Button>
              </li>
              <li>
                <Button iconId="fr-icon-lock-unlock-line" priority="tertiary" onClick={() => void doRelease()}>
                  Relâcher
                </Button>
              </li>
            </>
          )}
        </ul>
      )}
      {rejecting && holder === "me" && pending && (
        <RejectForm reasons={reasons} sending={rejectState.fetching} onCancel={() => setRejecting(false)} onReject={doReject} />
      )}
      {!pending && item.reasons.length > 0 && (
        <p>
          Motifs : {item.reasons.map((r) => r.label).join(" ; ")}
          {item.comment && ` — « ${item.comment} »`}
        </p>
      )}
      <Flags flags={item.flags} />
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-xl-8">
          <DiffTable changes={item.changes} flags={item.flags} />
        </div>
        <div className="fr-col-12 fr-col-xl-4">
          <OnGateway>
            <PublicPage id={item.establishment.id} reasons={reasons} />
          </OnGateway>
        </div>
      </div>
      <History entries={item.history.edges.map((e) => e.node)} />
    </article>
  );
}

function Lease({ item, holder, remaining }: { item: Item; holder: string; remaining: number }) {
  if (holder === "me") {
    return (
      <p className="fr-badge fr-badge--info fr-mb-2w" role="timer" aria-label="Temps restant de votre prise en charge">
        Pris en charge par vous — il reste {formatRemaining(remaining)}
      </p>
    );
  }
  if (holder === "other") {
    return (
      <Alert
        className="fr-mb-2w"
        severity="warning"
        small
        description={
          <span role="timer">
            Pris en charge par {item.claimedBy} — encore {formatRemaining(remaining)}. Vous pourrez le prendre en charge à la fin de son bail, ou s'il le
            relâche.
          </span>
        }
      />
    );
  }
  return <p className="fr-mb-2w">Personne ne traite cette saisie pour le moment.</p>;
}

function Flags({ flags }: { flags: Item["flags"] }) {
  if (flags.length === 0) return <p>Aucun signalement automatique.</p>;
  return (
    <section aria-labelledby="signalements">
      <h3 id="signalements" className="fr-h5">
        Signalements ({flags.length})
      </h3>
      <ul>
        {flags.map((flag, index) => (
          <li key={`${flag.field}-${index}`}>
            <Badge small severity={flag.severity === "HIGH" ? "error" : "warning"}>{flag.severityLabel}</Badge>{" "}
            <strong>{flag.categoryLabel}</strong> (article 2) — {flag.fieldLabel} : « <mark>{flag.excerpt}</mark> »
          </li>
        ))}
      </ul>
    </section>
  );
}

function History({ entries }: { entries: Item["history"]["edges"][number]["node"][] }) {
  return (
    <section aria-labelledby="historique-element">
      <h3 id="historique-element" className="fr-h5">
        Historique
      </h3>
      <ol>
        {entries.map((entry, index) => (
          <li key={`${entry.at}-${index}`}>
            {formatDateTime(entry.at)} — {entry.actionLabel}
            {entry.agentNumber && ` par ${entry.agentNumber}`}
            {entry.note && ` : « ${entry.note} »`}
          </li>
        ))}
      </ol>
    </section>
  );
}
