"""`PORTALGRAPH_REDIS_URL`: each topology's URL read as meant, every mistake named, and the
settings refuse a bad one naming the key."""

import pytest

from infra.topology import Topology, by_slot, parse_redis_url
from portalgraph.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/2", Topology("single", (("127.0.0.1", 6379),), db=2)),
        ("rediss://:secret@cache.example", Topology("single", (("cache.example", 6379),),
                                                    password="secret", tls=True)),
        (
            "redis+sentinel://s1:26379,s2:26380,s3/mymaster/1",
            Topology("sentinel", (("s1", 26379), ("s2", 26380), ("s3", 26379)), "mymaster", 1),
        ),
        (
            "redis+cluster://app:pw@n1:7000,n2:7001",
            Topology("cluster", (("n1", 7000), ("n2", 7001)), username="app", password="pw"),
        ),
        ("rediss+cluster://n1:7000/0", Topology("cluster", (("n1", 7000),), tls=True)),
    ],
)  # fmt: skip
def test_each_topology_is_read_from_its_url(url: str, expected: Topology) -> None:
    assert parse_redis_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://127.0.0.1:6379", "scheme must be one of"),
        ("redis+sentinel://127.0.0.1:26379", "name the Sentinel service"),
        ("redis+cluster://n1:7000/3", "database 0 only"),
        ("redis://a:6379,b:6379", "one host for redis://"),
        ("redis+cluster://n1:port", "port must be a number"),
        ("redis://127.0.0.1/zero", "not a database number"),
    ],
)
def test_a_wrong_url_is_named(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_redis_url(url)


def test_the_settings_name_the_key_of_a_wrong_url() -> None:
    with pytest.raises(SettingsError, match="PORTALGRAPH_REDIS_URL has value 'redis\\+cluster"):
        Settings.from_environment(redis_url="redis+cluster://n1:7000/3")


def test_a_prefix_with_braces_would_become_the_hash_tag_and_is_refused() -> None:
    with pytest.raises(SettingsError, match="PORTALGRAPH_CACHE_PREFIX"):
        Settings.from_environment(cache_prefix="pg{x}")


def test_keys_with_one_hash_tag_are_grouped_into_one_slot() -> None:
    keys = ["pg:cache-tag:a#{C1}", "pg:cache-tag:b#{C1}", "pg:cache-tag:a#{C2}"]
    assert sorted(by_slot(keys)) == sorted([[keys[0], keys[1]], [keys[2]]])
