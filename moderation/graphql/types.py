"""What the moderators' API shows: review items, their history, flags and diff, with codes and French labels.

IDs are the Relay global IDs every service uses for the same object: a review item is ``ReviewItem:<uuid>``, its
establishment and submission are named as the gateway names them (``Establishment:<uuid>``, ``Submission:<uuid>``).
"""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from moderation.checks.rules import Severity
from moderation.graphql.context import ModerationInfo
from moderation.queue import repositories
from moderation.queue.states import ACTION_LABELS, STATUS_LABELS, ClaimState, HistoryAction, ReviewStatus
from shared.establishment_categories import Category
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.operating_info import field_label, field_label_of_path, graphql_field_path, in_graphql_names
from shared.refusal_reasons import REFUSAL_REASONS, reason_label
from shared.relay import to_global_id

strawberry.enum(ReviewStatus, description="Où en est une saisie dans la file de la Caf.")
strawberry.enum(HistoryAction, description="Une étape de la vie d'un élément de la file.")
strawberry.enum(ClaimState, description="Qui tient un élément en attente : vous, un autre modérateur, personne.")


@strawberry.enum(description="Motifs de refus ou de retrait (convention, article 2).")
class RefusalReason(Enum):
    PUBLICITE_DEGUISEE = "PUBLICITE_DEGUISEE"
    CONTENU_TENDANCIEUX_OU_ERRONE = "CONTENU_TENDANCIEUX_OU_ERRONE"
    INJURIEUX_DIFFAMATOIRE = "INJURIEUX_DIFFAMATOIRE"
    PROSELYTISME = "PROSELYTISME"
    VIRUS_OU_CODE_MALVEILLANT = "VIRUS_OU_CODE_MALVEILLANT"
    CHAINE_DE_LETTRES = "CHAINE_DE_LETTRES"
    ATTEINTE_DROITS_TIERS = "ATTEINTE_DROITS_TIERS"
    NON_CONFORME_MISSION_SERVICE_PUBLIC = "NON_CONFORME_MISSION_SERVICE_PUBLIC"
    AUTRE = "AUTRE"


for _reason in RefusalReason.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _reason.description = REFUSAL_REASONS[_reason.value]


@strawberry.enum(name="Category", description="Type de structure (taxonomie de monenfant.fr), comme la passerelle.")
class CategoryCode(Enum):
    EAJE = "EAJE"
    ASSISTANT_MATERNEL = "ASSISTANT_MATERNEL"
    MAM = "MAM"
    RPE = "RPE"
    GARDE_A_DOMICILE = "GARDE_A_DOMICILE"
    ALSH = "ALSH"
    LAEP = "LAEP"
    LIEU_INFORMATION = "LIEU_INFORMATION"
    MEDIATION_FAMILIALE = "MEDIATION_FAMILIALE"
    ESPACE_RENCONTRE = "ESPACE_RENCONTRE"
    SOUTIEN_SCOLARITE = "SOUTIEN_SCOLARITE"


for _category in CategoryCode.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _category.description = Category(_category.value).label


@strawberry.type(description="Un motif de refus de l'article 2 : son code et son libellé.")
class LabelledReason:
    code: RefusalReason
    label: str


@strawberry.type(description="L'établissement concerné, tel que la passerelle le nomme (identifiant global).")
class Establishment:
    id: strawberry.ID
    name: str = strawberry.field(description="Son nom lors de la saisie.")


FlagSeverity = strawberry.enum(Severity, name="FlagSeverity", description="Gravité d'un signalement automatique.")
for _severity in FlagSeverity.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _severity.description = Severity(_severity.value).label


@strawberry.type(description="Ce qui a déclenché un signalement : la règle et les mots trouvés.")
class FlagEvidence:
    rule: str = strawberry.field(description="La règle, par son identifiant (publicite.remise).")
    label: str = strawberry.field(description="La règle en français (« Remise, promotion ou prix barré »).")
    words: list[str] = strawberry.field(description="Les mots trouvés, sans accents ni majuscules.")
    weight: float = strawberry.field(description="Ce que la règle seule pèse dans la confiance (0 à 1).")


@strawberry.type(description="Un signalement automatique (article 2) : le motif, le champ, l'extrait, la gravité.")
class ContentFlag:
    category: RefusalReason = strawberry.field(description="Le motif de l'article 2 que le texte semble enfreindre.")
    category_label: str = strawberry.field(description="Ce motif en français (« Caractère publicitaire déguisé »).")
    field: str = strawberry.field(description="Le chemin GraphQL du texte dans la saisie (datedClosures[0].label).")
    field_label: str = strawberry.field(description="Le champ en français (« Modalités tarifaires »).")
    excerpt: str
    severity: FlagSeverity  # type: ignore[valid-type]
    severity_label: str = strawberry.field(description="La gravité en français (« Manquement très probable »).")
    rule: str = strawberry.field(deprecation_reason="Utilisez category.")
    label: str = strawberry.field(deprecation_reason="Utilisez categoryLabel.")
    confidence: float | None = strawberry.field(
        default=None,
        description="Confiance de 0,5 à 1, combinée des règles déclenchées ; à partir de 0,8 la gravité est « "
        "Manquement très probable » (docs/moderation.md). Absente pour les signalements d'avant décembre 2026.",
    )
    evidence: list[FlagEvidence] = strawberry.field(
        default_factory=list, description="Les règles qui ont déclenché le signalement et les mots trouvés."
    )

    @staticmethod
    def from_stored(flag: dict[str, Any]) -> "ContentFlag":
        severity, path = Severity(flag["severity"]), graphql_field_path(flag["field"])
        reason = RefusalReason(flag["rule"])
        evidence = [
            FlagEvidence(rule=e["rule"], label=e["label"], words=list(e["words"]), weight=e["weight"])
            for e in flag.get("evidence") or []
        ]
        return ContentFlag(
            category=reason, category_label=REFUSAL_REASONS[reason.value], field=path,
            field_label=field_label_of_path(path), excerpt=flag["excerpt"], severity=severity,
            severity_label=severity.label, rule=reason.value, label=REFUSAL_REASONS[reason.value],
            confidence=flag.get("confidence"), evidence=evidence,
        )  # fmt: skip


@strawberry.type(
    description="Un champ modifié par la proposition (avec la version de départ si elle est plus ancienne)."
)
class FieldChange:
    field: str = strawberry.field(description="Le nom GraphQL du champ des modalités (hoursNote).")
    label: str = strawberry.field(description="Le champ en français (« Précisions sur les horaires »).")
    published: JSON | None
    proposed: JSON | None
    base: JSON | None
    conflict: bool

    @staticmethod
    def from_stored(change: dict[str, Any]) -> "FieldChange":
        field = graphql_field_path(change["field"])
        return FieldChange(
            field=field, label=field_label(field), published=change["published"], proposed=change["proposed"],
            base=change["base"], conflict=change["conflict"],
        )  # fmt: skip


@strawberry.type(description="Une étape de la vie de l'élément.")
class HistoryEntry:
    action: HistoryAction
    agent_number: str | None
    at: datetime
    note: str | None

    @strawberry.field(description="L'étape, en français.")
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@strawberry.type(description="Une saisie de modalités de fonctionnement à valider.")
class ReviewItem:
    id: strawberry.ID
    key: strawberry.Private[str]
    establishment: Establishment
    submission_id: strawberry.ID = strawberry.field(description="La saisie, comme la passerelle la nomme.")
    version: int = strawberry.field(description="La version que la saisie deviendra une fois validée.")
    submitted_at: datetime
    submitted_by: str = strawberry.field(description="Numéro d'identification de l'agent.")
    status: ReviewStatus
    row_version: int = strawberry.field(description="À renvoyer avec chaque décision (version optimiste).")
    claimed_by: str | None
    claim_expires_at: datetime | None
    flags: list[ContentFlag]
    changes: list[FieldChange]
    proposed: JSON
    reasons: list[LabelledReason] = strawberry.field(description="Les motifs d'un refus (vide sinon).")
    departement: str = strawberry.field(description="Le département de l'établissement (59, 2A…).")
    category: CategoryCode | None = strawberry.field(
        description="Le type de structure ; nul pour une saisie reçue avant que la passerelle ne le transmette."
    )
    comment: str | None = strawberry.field(description="Le commentaire adressé à l'agent avec la décision.")

    @strawberry.field(description="L'état, en français.")
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @strawberry.field(description="Le type de structure, en français (« Crèche ») ; nul s'il est inconnu.")
    def category_label(self) -> str | None:
        return Category(self.category.value).label if self.category is not None else None

    @strawberry.field(
        description="L'historique : reçu, pris en charge, relâché, décidé, par qui ; le plus ancien d'abord."
    )
    async def history(
        self, info: ModerationInfo, first: int = 20, after: str | None = None
    ) -> Connection[HistoryEntry]:
        page = page_of(first, after)
        async with info.context.sessions() as session:
            rows, total = await repositories.list_history(session, self.key, offset=page.offset, limit=page.limit)
        entries = [
            HistoryEntry(action=HistoryAction(r.action), agent_number=r.agent_number, at=r.at, note=r.note)
            for r in rows
        ]
        return connection_of(entries, page, total)


def review_item_of(row: Any) -> ReviewItem:
    """The API's view of a ``review_items`` row."""
    return ReviewItem(
        id=strawberry.ID(to_global_id("ReviewItem", row.id)),
        key=row.id,
        establishment=Establishment(
            id=strawberry.ID(to_global_id("Establishment", row.establishment_id)), name=row.establishment_name
        ),
        submission_id=strawberry.ID(to_global_id("Submission", row.submission_id)),
        version=row.version,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by["agent_number"],
        status=ReviewStatus(row.status),
        row_version=row.row_version,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
        flags=[ContentFlag.from_stored(flag) for flag in row.flags],
        changes=[FieldChange.from_stored(change) for change in row.diff],
        proposed=in_graphql_names(row.document),
        reasons=[LabelledReason(code=RefusalReason(code), label=reason_label(code)) for code in row.reasons or []],
        departement=row.departement,
        category=CategoryCode(row.category) if row.category is not None else None,
        comment=row.comment,
    )


@strawberry.type(description="Le résultat d'une action sur un élément : l'élément à jour, ou les raisons du refus.")
class DecisionPayload:
    item: ReviewItem | None
    user_errors: list[UserError]


@strawberry.type(description="Le résultat d'une validation en lot.")
class BulkApprovePayload:
    approved: list[strawberry.ID]
    skipped: list[strawberry.ID] = strawberry.field(description="Signalés, déjà décidés ou pris par un autre.")
    user_errors: list[UserError]
