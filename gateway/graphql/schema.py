"""The gateway's GraphQL schema."""

import strawberry

from gateway.graphql.agent import AgentMutations, AgentQueries, AgentSubmissionMutations
from gateway.graphql.caf import CafMutations, CafQueries
from gateway.graphql.caf_administration import CafAdministrationMutations
from gateway.graphql.compiled import CompiledExecution
from gateway.graphql.conventions import ConventionMutations, ConventionQueries
from gateway.graphql.establishment import Establishment
from gateway.graphql.habilitation import HabilitationMutations
from gateway.graphql.integrators import IntegratorMutations, IntegratorQueries
from gateway.graphql.queries import CatalogueQueries
from gateway.graphql.register import RegisterMutations, RegisterQueries
from gateway.graphql.scope import ScopeQueries
from gateway.graphql.sessions import SessionMutations, SessionQueries
from gateway.graphql.single_use import SENSITIVE_ROOT_FIELDS
from gateway.graphql.subscriptions import PublicationQueries, Subscription
from gateway.graphql.transmission import TransmissionMutations, TransmissionQueries
from gateway.graphql.types import Caf, Commune, Provider
from gateway.graphql.webhooks import WebhookMutations, WebhookQueries
from shared.graphql_protection import BoundedSchema, Limits, schema_extensions
from shared.metrics import ServiceMetrics, operation_metrics


@strawberry.type
class Query(
    CatalogueQueries,
    ScopeQueries,
    CafQueries,
    ConventionQueries,
    AgentQueries,
    PublicationQueries,
    IntegratorQueries,
    RegisterQueries,
    SessionQueries,
    TransmissionQueries,
    WebhookQueries,
):
    pass


@strawberry.type
class Mutation(
    HabilitationMutations,
    SessionMutations,
    CafMutations,
    ConventionMutations,
    CafAdministrationMutations,
    AgentMutations,
    AgentSubmissionMutations,
    IntegratorMutations,
    RegisterMutations,
    TransmissionMutations,
    WebhookMutations,
):
    pass


def build_schema(limits: Limits | None = None, metrics: ServiceMetrics | None = None) -> BoundedSchema:
    timing = [operation_metrics(metrics)] if metrics is not None else []
    limits = limits or Limits()
    return BoundedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Establishment, Commune, Caf, Provider],
        extensions=[*timing, *schema_extensions(limits, SENSITIVE_ROOT_FIELDS)],
        execution_context_class=CompiledExecution,
        timeout_seconds=limits.timeout_seconds,
    )
