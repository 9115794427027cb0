"""Issue 13 item 12: what the architecture and the integrator guide say of the public events is what the code does.

The architecture names every event of the public topic; the guide's « data » is the message's JSON value without
the fields the subscription lifts beside it (``establishment_id``, ``place``), and its example holds only fields of
that message.
"""

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from gateway.publications.feed import Publication
from shared.events import EVENT_TYPES, OperatingInfoPublished, PublicPlace, Topic, new_event, to_wire

DOCS = Path(__file__).resolve().parents[2] / "docs"
PUBLIC = sorted(model.__name__ for model in EVENT_TYPES.values() if model.topic is Topic.PUBLICATIONS)


def test_the_architecture_names_every_public_event_in_the_diagram_and_the_event_list() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    diagram = re.search(r"structures\.publications\.v1 +──► integrators[^\n]*\n +\(([^)]*)\)", text)
    listed = re.search(r"`structures\.publications\.v1` \(gateway → integrators, public data only\)([^.]*)\.", text)

    assert diagram is not None
    assert listed is not None
    assert sorted(name.strip() for name in diagram[1].split(",")) == PUBLIC
    assert sorted(re.findall(r"`(\w+)`", listed[1])) == PUBLIC


def test_the_guide_s_data_is_the_message_without_what_the_subscription_lifts_beside_it() -> None:
    guide = " ".join((DOCS / "integrators.md").read_text(encoding="utf-8").split())
    lifted = re.search(r"its JSON value without `(\w+)` and `(\w+)`", guide)
    example = re.search(r"`(\{\"version\".*?\})` for `OPERATING_INFO_PUBLISHED`", guide)
    published = OperatingInfoPublished(
        establishment_id=uuid.uuid4(), place=PublicPlace(departement="59", commune_insee="59207", category="EAJE"),
        version=3, opening_hours="Mo-Fr 07:30-18:30", published_at=datetime.now(UTC),
    )  # fmt: skip
    event = new_event(published, source="/structures/gateway").model_copy(update={"sequence": "7"})
    value = json.loads(to_wire(event).value)

    publication = Publication.of(event)

    assert lifted is not None
    assert example is not None
    assert publication is not None
    assert publication.data == {name: v for name, v in value.items() if name not in lifted.groups()}
    assert set(json.loads(example[1].replace("…", "x"))) <= set(publication.data)
