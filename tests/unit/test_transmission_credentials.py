"""Client authentication of the token endpoint (RFC 6749 §2.3.1) and the 90-day span of a transmission."""

import base64
from datetime import date, timedelta

from gateway.catalogue.vocabulary import Slot
from gateway.catalogue.writes import NewAvailability
from gateway.transmission import credentials
from gateway.transmission.endpoints import token_request_fields
from gateway.transmission.payload import days_spanned


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_basic_credentials_are_form_urlencoded_before_base64() -> None:
    assert credentials.basic_credentials(_basic("stc_ab%3Acd:s%2Bcr+et")) == ("stc_ab:cd", "s+cr et")


def test_malformed_authorization_headers_give_no_credentials() -> None:
    assert credentials.basic_credentials(_basic("no-colon")) is None
    assert credentials.basic_credentials("Basic ***") is None
    assert credentials.basic_credentials("Bearer abc") is None
    assert credentials.basic_credentials(None) is None


def test_a_secret_matches_only_its_digest() -> None:
    secret = credentials.new_secret()
    assert credentials.matches(secret, credentials.digest(secret))
    assert not credentials.matches(secret + "x", credentials.digest(secret))


def test_days_spanned_counts_first_to_last_day_inclusive() -> None:
    first = date(2026, 12, 7)
    batch = [NewAvailability(first, Slot.JOURNEE, 1), NewAvailability(first + timedelta(days=89), Slot.MATIN, 0)]
    assert days_spanned(batch) == 90
    assert days_spanned([]) == 0


def test_a_token_request_with_too_many_or_repeated_fields_keeps_none_of_them() -> None:
    assert token_request_fields(b"&".join(b"f%d=x" % n for n in range(50))) == {}
    repeated = b"grant_type=client_credentials&client_id=a&client_id=b"
    assert token_request_fields(repeated) == {"grant_type": "client_credentials"}
