"""One provider at run time (:mod:`flask_oauth2login.protocol.provider`): it keeps
its own endpoints, and a snapshot keeps them for the steps of one login."""

from __future__ import annotations

import typing as t

from flask_oauth2login.config.provider import load_provider
from flask_oauth2login.protocol.provider import Provider
from tests.support.rogue_idp import rogue_entry


def provider_of(rogue: t.Any, metadata_ttl: float) -> Provider:
    return Provider(
        load_provider("rogue", rogue_entry(rogue), {}, {}),
        base_url=lambda: "http://app.test/",
        timeout=5,
        metadata_ttl=metadata_ttl,
        jwks_min_refetch_interval=60,
        leeway=30,
    )


def test_the_provider_discovers_its_endpoints_once_and_keeps_them(rogue):
    provider = provider_of(rogue, metadata_ttl=3600)
    assert provider.endpoints().token_url == rogue.issuer + "/token"
    assert provider.endpoints() is provider.endpoints()
    assert rogue.calls["discovery"] == 1


def test_a_snapshot_keeps_one_discovery_document_when_the_cache_expires(rogue):
    provider = provider_of(rogue, metadata_ttl=0)  # every call discovers again
    snapshot = provider.snapshot()
    before = snapshot.endpoints()
    rogue.behaviour.metadata_overrides = {"userinfo_endpoint": rogue.issuer + "/elsewhere"}
    assert provider.endpoints().userinfo_url == rogue.issuer + "/elsewhere"
    assert snapshot.endpoints() is before
    assert snapshot.endpoints().userinfo_url != rogue.issuer + "/elsewhere"
    assert rogue.calls["discovery"] == 2
    # The snapshot is the same provider: its client, keys and settings are shared.
    assert snapshot.client is provider.client and snapshot.discovery is provider.discovery
    assert snapshot.base_url() == "http://app.test/"


def test_a_providers_repr_names_it_and_nothing_secret(rogue):
    provider = provider_of(rogue, metadata_ttl=3600)
    assert repr(provider) == "<Provider 'rogue'>"
    assert rogue.client_secret not in repr(provider.snapshot())


def test_a_pinned_provider_is_made_once_per_base_url_and_snapshots_stay_apart(rogue):
    base = ["http://app.test/"]
    provider = provider_of(rogue, metadata_ttl=3600)
    provider._base_url = lambda: base[0]  # the base URL a request gives
    pinned = provider.pinned()
    assert provider.pinned() is pinned
    snapshot = provider.snapshot()
    assert snapshot is not pinned and provider.pinned() is pinned  # a snapshot is its own copy
    base[0] = "http://other.test/"  # a request to another host
    other = provider.pinned()
    assert other is not pinned and other.base_url() == "http://other.test/"
    assert pinned.base_url() == "http://app.test/"
