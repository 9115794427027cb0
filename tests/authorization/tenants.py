"""The people and data of the S16 matrix: provider A (Mairie d'Escautpont) and provider B in the Caf du Nord's
territory, provider C in the Caf du Pas-de-Calais', each habilitated the way the product does it (request, signed
convention, activation), and something of each tenant in every list, so that « own » can be told from « all »."""

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from stdnum import luhn

from gateway.accounts import services as accounts
from gateway.accounts.services import NewPerson
from gateway.catalogue.demo import MICRO_CRECHE, MULTI_ACCUEIL
from gateway.catalogue.vocabulary import ProviderKind
from gateway.graphql.relay import from_global_id, to_global_id
from gateway.habilitation import processing
from gateway.habilitation.amendments import Amendment, RightChange, record_amendment
from gateway.habilitation.challenges import issue_challenge
from gateway.habilitation.forms import HabilitationForm, PersonForm, ProviderForm
from gateway.habilitation.ownership import Confirmation
from gateway.habilitation.processing import Actor, SignedConvention
from gateway.habilitation.services import submit_habilitation_request
from shared.relay import key_of
from tests.authorization.world import TEMPORARY, Identity, World
from tests.integration.test_availability_publication import open_days

CHOSEN = "le beffroi de Lille au printemps"
CONDE_TOWN_HALL = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1006"
_serial = itertools.count(1)

PROVIDERS = {
    "A": ProviderForm(
        name="Mairie d'Escautpont", kind=ProviderKind.COMMUNE, siret="21590207300018", street="rue Henri Durre",
        postal_code="59278", commune_insee="59207", email="mairie@escautpont.example",
        representative_name="Raphaël Kruszynski",
    ),
    "B": ProviderForm(
        name="Le Jardin de l'Escaut SAS", kind=ProviderKind.ENTREPRISE, siret="", street="avenue de Liège",
        postal_code="59300", commune_insee="59606", email="contact@jardin-escaut.example",
        representative_name="Yanis Boulanger",
    ),
    "C": ProviderForm(
        name="Crèches de l'Artois SAS", kind=ProviderKind.ENTREPRISE, siret="", street="rue Gambetta",
        postal_code="62000", commune_insee="62041", email="contact@creches-artois.example",
        representative_name="Chloé Vasseur",
    ),
}  # fmt: skip
"""Provider A is the catalogue's Mairie d'Escautpont (by its SIRET, confirmed by the Caf); B and C are new providers,
created at activation with their Caf, each taking over its crèche (whose register provider has no SIRET) as the Caf
confirms it."""
CAF_OF = {"A": "CAF59", "B": "CAF59", "C": "CAF62"}
SUBMIT = """mutation($id: ID!, $info: OperatingInfoInput!) { submitOperatingInfo(input: {establishmentId: $id,
  operatingInfo: $info}) { submission { id } userErrors { code } } }"""
INFO = {
    "openingHours": [{"day": d, "opens": "07:30", "closes": "18:00"} for d in ("LUNDI", "MARDI", "JEUDI", "VENDREDI")],
    "closurePeriods": ["AOUT"],
    "fees": "Le barème national des participations familiales de la Cnaf s'applique.",
    "funding": ["PSU"],
}


def new_siret() -> str:
    siren = f"3{next(_serial):07d}"
    siren += luhn.calc_check_digit(siren)
    siret = f"{siren}0001"
    return siret + luhn.calc_check_digit(siret)


def person(first: str, last: str) -> PersonForm:
    return PersonForm(last, first, "Agent habilité", f"{first[0].lower()}.{last.lower()}@structure.example")


def someone() -> PersonForm:
    index = next(_serial)
    return person(f"Prénom{index}", f"Cible{index}")


async def request(world: World, tenant: str, persons: Sequence[PersonForm], establishments: Sequence[str]) -> str:
    """A habilitation request from ``tenant``'s provider (SOUMISE); its number."""
    provider = PROVIDERS[tenant]
    if tenant != "A":
        provider = replace(provider, siret=world.targets.setdefault(f"siret {tenant}", new_siret()))
    form = HabilitationForm(CAF_OF[tenant], provider, persons, establishments, establishments)
    async with world.transaction() as session:
        now = datetime.now(UTC)
        challenge = await issue_challenge(session, purpose="HABILITATION_REQUEST", now=now, text="MATRIX")
        made = await submit_habilitation_request(
            session,
            form,
            challenge_id=challenge.id,
            challenge_answer="MATRIX",
            now=now,
            signal=world.gateway_app.state.runtime.signal,
        )
    assert not isinstance(made, list), made
    world.mark(CAF_OF[tenant], made.number)
    world.mark(tenant, provider.siret, provider.email, provider.representative_name)
    world.mark(tenant, *(f"{p.first_name} {p.last_name}" for p in persons), *(p.email for p in persons))
    return made.number


async def advance(
    world: World, tenant: str, number: str, status: str, establishments: Sequence[str] = ()
) -> list[Identity]:
    """Move a request to CONVENTION_RECUE or ACTIVEE as the Caf would; the accounts an activation created."""
    caf = world.people["caf59" if CAF_OF[tenant] == "CAF59" else "caf62"]
    actor = Actor(CAF_OF[tenant], str(caf.agent_number))
    signatory = f"Signataire{next(_serial)} Convention"
    world.mark(tenant, signatory)
    created = []
    async with world.transaction() as session:
        now = datetime.now(UTC)
        signed = SignedConvention(date.today() - timedelta(days=1), "Lille", [signatory])
        await processing.record_signed_convention(session, number, signed, actor, now)
        if status == "ACTIVEE":
            signal = world.gateway_app.state.runtime.signal
            # The Caf confirms everything the request needs confirmed (the matrix tests who may, not what).
            confirmation = Confirmation(provider=True, establishments=tuple(establishments))
            created = await processing.activate(
                session, number, actor, confirmation, issuing=world.issuing, now=now, signal=signal
            )
            if created and establishments:
                # A dated amendment that names the tenant's agent (it re-grants a right she holds: changes nothing).
                same = RightChange(created[0].agent_number, establishments[0], "OPERATING_INFO")
                amendment = Amendment(date.today(), f"Avenant {number}", grants=[same])
                await record_amendment(session, number, amendment, actor, issuing=world.issuing, now=now, signal=signal)
    for account in created:
        world.mark(tenant, account.identifier, account.agent_number)
    return [_identity(account.identifier, account.id, account.identifier, account.agent_number) for account in created]


def _identity(label: str, account_id: str, identifier: str, agent_number: str, caf: str | None = None) -> Identity:
    return Identity(
        "", label, caf=caf, account_id=account_id, identifier=identifier, agent_number=agent_number, password=TEMPORARY
    )


async def habilitate(
    world: World, tenant: str, persons: Sequence[PersonForm], establishments: Sequence[str]
) -> tuple[str, list[Identity]]:
    """A request from ``tenant``'s provider, signed and activated: its number and the accounts (generated passwords)."""
    number = await request(world, tenant, persons, establishments)
    return number, await advance(world, tenant, number, "ACTIVEE", establishments)


async def _caf_agent(world: World, name: str, person: NewPerson, caf: str, *, administrator: bool = False) -> Identity:
    async with world.transaction() as session:
        made = await accounts.bootstrap_caf_agent(
            session, person, caf_code=caf, issuing=world.issuing, now=datetime.now(UTC), administrator=administrator
        )
    world.mark(caf, made.identifier, made.agent_number, person.email)
    world.people[name] = _identity(name, made.id, made.identifier, made.agent_number, caf)
    return world.people[name]


async def populate(world: World) -> None:
    caf59 = await _caf_agent(world, "caf59", NewPerson("Mathon", "Audrey", "Caf", "a.mathon@caf59.example"), "CAF59")
    caf59_temporary = await _caf_agent(
        world, "caf59 temporary", NewPerson("Roux", "Inès", "Caf", "i.roux@caf59.example"), "CAF59"
    )
    caf59_admin = await _caf_agent(
        world,
        "caf59 admin",
        NewPerson("Vasseur", "Claire", "Caf", "c.vasseur@caf59.example"),
        "CAF59",
        administrator=True,
    )
    caf62 = await _caf_agent(
        world, "caf62", NewPerson("Lefebvre", "Paul", "Caf", "p.lefebvre@caf62.example"), "CAF62", administrator=True
    )
    for agent in (caf59, caf59_admin, caf62):
        await world.sign_in(agent, chosen=CHOSEN)
    await world.sign_in(caf59_temporary)

    a_persons = [person("Marie", "Dupont"), person("Paul", "Durand"), person("Léa", "Petit"), person("Noé", "Garnier")]
    _, (marie, durand, lea, noe) = await habilitate(world, "A", a_persons, [MULTI_ACCUEIL])
    _, (hugo,) = await habilitate(world, "B", [person("Hugo", "Leroy")], [MICRO_CRECHE])
    artois = await _artois_creche(world, caf62)
    _, (jade,) = await habilitate(world, "C", [person("Jade", "Morel")], [artois])
    for agent in (marie, durand, hugo, jade):
        await world.sign_in(agent, chosen=CHOSEN)
    await world.sign_in(lea)
    world.people |= {"marie": marie, "durand": durand, "lea": lea, "noe": noe, "hugo": hugo, "jade": jade}
    world.targets["artois"] = artois

    await _activity(world)
    deactivated = await world.gql("gateway", DEACTIVATE, caf59, {"n": durand.agent_number, "r": "Fin de mission"})
    assert deactivated["data"]["deactivateAgent"]["userErrors"] == [], deactivated
    key = await create_integrator(world, caf59, ["59"])
    await create_integrator(world, caf62, ["62"])
    world.roles = {
        "anonymous": [Identity("anonymous", "nobody")],
        "provider_a": [_as(marie, "provider_a", "A")],
        "provider_b": [_as(hugo, "provider_b", "B")],
        "caf_territory": [_as(caf59, "caf_territory", "CAF59", "A", "B")],
        "caf_admin": [_as(caf59_admin, "caf_admin", "CAF59", "A", "B")],
        "caf_other": [_as(caf62, "caf_other", "CAF62", "C")],
        "integrator": [
            Identity(
                "integrator",
                "API key of the Caf du Nord, département 59",
                sees=frozenset({"INTEGRATOR59"}),
                api_key=key,
            )
        ],
        "deactivated": [_as(durand, "deactivated")],
        "temporary": [_as(lea, "temporary"), _as(caf59_temporary, "temporary")],
    }
    for identity in world.roles["temporary"]:
        identity.temporary = True


DEACTIVATE = """mutation($n: String!, $r: String!) { deactivateAgent(input: {agentNumber: $n, reason: $r}) {
  agentNumber userErrors { code } } }"""
CREATE_INTEGRATOR = """mutation($m: String!, $d: [String!]!) { createIntegrator(input: {name: "Portail",
  contactEmail: $m, departements: $d}) { integratorId keyId apiKey userErrors { code } } }"""
RECORD = """mutation($input: EstablishmentRecordInput!) { recordEstablishment(input: $input) {
  establishmentId userErrors { code } } }"""


def _as(identity: Identity, role: str, *sees: str) -> Identity:
    identity.role, identity.sees = role, frozenset(sees)
    identity.label = f"{identity.identifier} ({role})"
    return identity


async def create_integrator(world: World, caf: Identity, departements: list[str]) -> str:
    """An integrator of ``caf``'s territory and its first key (the secret)."""
    mail = f"api{next(_serial)}@portail.example"
    made = (await world.gql("gateway", CREATE_INTEGRATOR, caf, {"m": mail, "d": departements}))["data"]
    created = made["createIntegrator"]
    assert created["userErrors"] == [], made
    world.mark(str(caf.caf), mail, created["integratorId"], created["keyId"], created["apiKey"])
    world.targets.setdefault(f"integrator {caf.caf}", created["integratorId"])
    return str(created["apiKey"])


async def _artois_creche(world: World, caf62: Identity) -> str:
    """A crèche the Caf du Pas-de-Calais registers in Arras (its publication is the one integrator 59 never sees)."""
    entry = {
        "providerId": to_global_id("Provider", CONDE_TOWN_HALL),
        "name": "Micro-crèche Les Beffrois",
        "category": "EAJE",
        "eajeType": "MICRO_CRECHE",
        "postalCode": "62000",
        "communeInsee": "62041",
        "latitude": 50.29,
        "longitude": 2.78,
        "capacity": 10,
    }
    made = (await world.gql("gateway", RECORD, caf62, {"input": entry}))["data"]["recordEstablishment"]
    assert made["userErrors"] == [], made
    return from_global_id(made["establishmentId"])[1]


async def submit(world: World, tenant: str, agent: Identity, establishment: str) -> str:
    """A submission of operating information by ``agent`` (it reaches the moderation queue through the bus)."""
    variables = {"id": to_global_id("Establishment", establishment), "info": INFO}
    made = (await world.gql("gateway", SUBMIT, agent, variables))["data"]["submitOperatingInfo"]
    assert made["userErrors"] == [], made
    key = key_of(made["submission"]["id"], "Submission")
    world.mark(tenant, key)
    return key


async def _activity(world: World) -> None:
    """Something of every tenant in every list: availabilities (a 59 publication), one submission per provider (the
    queue of each Caf), the logins already in the connection log."""
    publish = """mutation($id: ID!, $a: [AvailabilityInput!]!) { publishAvailabilities(input: {establishmentId: $id,
      availabilities: $a}) { userErrors { code } } }"""
    entries = [{"date": open_days(1)[0].isoformat(), "places": 2}]
    made = await world.gql(
        "gateway", publish, world.people["marie"], {"id": to_global_id("Establishment", MULTI_ACCUEIL), "a": entries}
    )
    assert made["data"]["publishAvailabilities"]["userErrors"] == [], made
    for tenant, name, establishment in (
        ("A", "marie", MULTI_ACCUEIL),
        ("B", "hugo", MICRO_CRECHE),
        ("C", "jade", world.targets["artois"]),
    ):
        await submit(world, tenant, world.people[name], establishment)
    await world.settle()
    for item_id, caf in world.rows("moderation", "SELECT id, caf_code FROM review_items"):
        world.mark(caf, item_id)
