"""RELAIS_CLI_LANGUAGE: the `relais` command speaks French when a service asks it to, English
by default, and refuses another value in one sentence with exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.i18n import CLI_LANGUAGE, DEFAULT_CLI_LANGUAGE, cli_language, set_cli_language, t


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """The language is the process's: the tests after these ones find English again."""
    yield
    set_cli_language(DEFAULT_CLI_LANGUAGE)


def relais_in(tmp_path: Path, language: str | None, *args: str) -> Result:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "RELAIS_CLI_LANGUAGE": language}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_the_commands_speak_french_when_asked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    upgraded = relais_in(tmp_path, "fr", "db", "upgrade")
    assert upgraded.exit_code == 0
    assert "Schéma créé, à " in upgraded.output
    assert relais_in(tmp_path, "fr", "users", "list").output == (
        "Personne n'est encore inscrit : `relais invite --role officer --name ...`.\n"
    )
    invite = relais_in(tmp_path, "fr", "invite", "--role", "worker", "--name", "Marie Roy")
    assert invite.exit_code == 0
    assert invite.output.startswith("Invitation pour Marie Roy (worker), valide jusqu'au ")
    assert "  ou envoyez au bot : /start " in invite.output
    missing = relais_in(tmp_path, "fr", "users", "revoke", "42")
    assert missing.exit_code == 1
    assert "relais: aucune personne avec l'id 42 (voir `relais users list`).\n" in missing.output


def test_a_bad_setting_is_said_in_french_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELAIS_TIMEZONE", "Mars/Olympus")
    result = relais_in(tmp_path, "fr", "users", "list")
    assert result.exit_code == 2
    assert "RELAIS_TIMEZONE doit être un fuseau horaire IANA" in result.output
    assert "(reçu 'Mars/Olympus')." in result.output


def test_english_by_default_and_after_french(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert relais_in(tmp_path, "fr", "db", "upgrade").exit_code == 0
    assert cli_language() == "fr"
    for language in (None, "", "EN"):
        listed = relais_in(tmp_path, language, "users", "list")
        assert listed.output.startswith("Nobody is enrolled yet"), language
    assert t(CLI_LANGUAGE, "cli.upgrade.already", head="x") == "Already up to date (x)."


@pytest.mark.parametrize("value", ["de", "french", "fr_CA"])
def test_another_language_is_refused_in_one_english_sentence(tmp_path: Path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    result = relais_in(tmp_path, value, "users", "list")
    assert result.exit_code == 2
    assert result.output == f"relais: RELAIS_CLI_LANGUAGE must be fr or en (got {value!r}).\n"


def test_the_setting_in_a_dot_env_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELAIS_CLI_LANGUAGE", raising=False)
    (tmp_path / ".env").write_text("RELAIS_CLI_LANGUAGE=fr\n", encoding="utf-8")
    runner = CliRunner()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = runner.invoke(main, ["consultations", "list"], env=env, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.startswith("relais: le fichier de base de données ")


def test_directory_validate_speaks_the_cli_language(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The problem lines of `relais directory validate` are in RELAIS_CLI_LANGUAGE, like the
    verdict under them (they were the loader's English in a French CLI)."""
    from click.testing import CliRunner

    from bot.cli import main as cli_main

    broken = tmp_path / "dir.yaml"
    broken.write_text("schema_version: 1\nservices:\n  - id: x\n", encoding="utf-8")
    monkeypatch.setenv("RELAIS_CLI_LANGUAGE", "fr")
    result = CliRunner().invoke(cli_main, ["directory", "validate", str(broken)])
    assert result.exit_code == 1
    assert "champ organization : obligatoire" in result.output
    assert "required" not in result.output


def test_the_roster_listing_names_days_in_the_cli_language(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`relais shifts add/list` in French say "lun", as the chat's /shifts does (they said
    the stored code, "mon", beside French headings)."""
    from click.testing import CliRunner

    from bot.cli import main as cli_main
    from flows.store import Database
    from flows.vocabulary import Role
    from tests.support.clock import FakeClock
    from tests.support.people import enrol

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    db.upgrade()
    worker = enrol(db, FakeClock(), Role.WORKER, "Luc Wilson")
    db.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("RELAIS_CLI_LANGUAGE", "fr")
    added = CliRunner().invoke(cli_main, ["shifts", "add", str(worker.id), "lun", "16:00-24:00"])
    assert added.exit_code == 0, added.output
    assert "lun 16:00-24:00" in added.output and "mon" not in added.output
    listing = CliRunner().invoke(cli_main, ["shifts", "list"])
    assert "lun  16:00-24:00" in listing.output and " mon " not in listing.output
