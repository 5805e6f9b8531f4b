"""An unknown e-mail costs the same work as a wrong password: one argon2 verification, no hashing.

Counted, not timed: the argon2 hasher's ``hash`` and ``verify`` calls are wrapped (and still run).
``benchmarks/login_timing.py`` prints the medians with the production profile.
"""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from portfolio import db
from portfolio.auth import passwords, services
from portfolio.auth.models import User


@pytest.fixture
def argon2_calls(monkeypatch):
    calls = {"hash": 0, "verify": 0}
    original_hash, original_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return original_hash(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return original_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    def take():
        taken = dict(calls)
        calls.update(hash=0, verify=0)
        return taken

    return take


def _attempt(app, email: str, address: str) -> services.LoginResult:
    with app.app_context():
        result = services.authenticate(email, "una-clave-que-no-es", address)
        db.session.commit()
        return result


def test_unknown_email_and_wrong_password_do_the_same_work(app, make_user, argon2_calls):
    user = make_user("trustee")
    inactive = make_user("board")
    with app.app_context():
        db.session.get(User, inactive["id"]).active = False
        db.session.commit()
    argon2_calls()
    paths = {}
    for n, (name, email) in enumerate([("unknown", "nadie-aqui@prueba.pe"), ("wrong", user["email"]),
                                        ("inactive", inactive["email"]), ("unknown again", "otro-nadie@prueba.pe")]):
        result = _attempt(app, email, f"10.1.0.{n}")
        assert result.user is None and result.error == services.GENERIC_LOGIN_ERROR
        paths[name] = argon2_calls()
    assert paths == {name: {"hash": 0, "verify": 1} for name in paths}


@pytest.mark.parametrize("profile", ["strong", "fast"])
def test_the_dummy_hash_has_the_parameters_of_its_profile(profile, app):
    with app.app_context():
        app.config["PASSWORD_HASH_PROFILE"] = profile
        try:
            hasher = passwords._hasher()
            dummy = passwords.dummy_hash()
        finally:
            app.config["PASSWORD_HASH_PROFILE"] = "fast"
    assert not hasher.check_needs_rehash(dummy)  # a verification against it costs what a real one costs
