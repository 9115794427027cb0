import pytest

from shared.errors import ConfigurationError, PermanentError
from shared.sealing import generate_key_pair, open_sealed, public_key_of, seal


def test_only_the_private_key_holder_opens_a_sealed_password() -> None:
    private, public = generate_key_pair()
    other_private, _ = generate_key_pair()

    sealed = seal("aB3k9Zq2", public)

    assert "aB3k9Zq2" not in sealed
    assert open_sealed(sealed, private) == "aB3k9Zq2"
    with pytest.raises(PermanentError, match="cannot be opened"):
        open_sealed(sealed, other_private)
    assert public_key_of(private) == public


def test_sealing_twice_gives_different_ciphertexts() -> None:
    _, public = generate_key_pair()

    assert seal("aB3k9Zq2", public) != seal("aB3k9Zq2", public)


def test_a_malformed_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        seal("x", "c2hvcnQ=")


def test_a_sealed_secret_that_is_not_base64_is_bad_data_not_a_setting() -> None:
    private, _ = generate_key_pair()

    with pytest.raises(PermanentError, match="the sealed secret is not valid base64"):
        open_sealed("pas du base64 !", private)
