"""API keys: format, hashing, and the per-key token bucket (pure logic)."""

from gateway.integrators.keys import RateLimiter, key_id_of, matches, new_key, secret_hash


def test_every_generated_key_is_recognised_even_when_its_secret_contains_underscores() -> None:
    keys = [new_key() for _ in range(500)]  # URL-safe secrets often contain "_" or "-"
    assert any("_" in key.secret.split("_", 2)[2] for key in keys)
    for key in keys:
        assert key_id_of(key.secret) == key.id
        assert matches(key.secret, key.hash)
        assert not matches(key.secret + "x", key.hash)
    assert len({key.secret for key in keys}) == 500


def test_what_is_not_one_of_our_keys_has_no_id() -> None:
    for presented in ("", "Bearer abc", "stk_short_secret", "xyz_0123456789abcdef_secret", "stk_" + "a" * 200):
        assert key_id_of(presented) is None


def test_only_a_hash_is_kept_and_it_does_not_contain_the_secret() -> None:
    key = new_key()
    assert key.hash == secret_hash(key.secret)
    assert len(key.hash) == 64
    assert key.secret.split("_", 2)[2] not in key.hash


def test_a_key_gets_its_burst_then_its_rate_and_keys_do_not_share_budgets() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", now=0.0) == 0.5
    assert limiter.take("b", now=0.0) == 0.0
    assert limiter.take("a", now=0.5) == 0.0  # one token back after half a second at 2/s
    assert limiter.take("a", now=0.5) > 0
