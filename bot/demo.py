"""`relais demo`: the whole product offline. Starts the Bot API sandbox on a free loopback
port, runs the real bot against it as `relais run` would, enrols an officer and two social
workers, plays one consultation from the scene to its outcome, and prints the transcript."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import CLI_LANGUAGE, t
from bot.launcher import BotProcess
from bot.settings import ConfigError
from bot.timeline import timeline_lines
from flows import enrolment, views
from flows.store import Database, utc_now
from flows.vocabulary import Role
from sandbox import SandboxClient, SandboxServer

DEMO_TOKEN = "123456789:SANDBOX-demo-token-not-a-real-one"
OFFICER, WORKER_FR, WORKER_EN = 1001, 2001, 2002
NAMES = {OFFICER: "officer Tremblay", WORKER_FR: "worker Roy", WORKER_EN: "worker Wilson"}
STARTUP_TIMEOUT = 60.0
STEP_TIMEOUT = 15.0
# the sample directory and the shipped screening questions next to the package (an editable
# install, as the README's command does)
SAMPLE_DIRECTORY = Path(__file__).resolve().parents[1] / "resources_directory.yaml"
SCREENING = Path(__file__).resolve().parents[1] / "screening.yaml"


def _check_new_file(path: Path) -> None:
    """--keep-database names a new file: an existing one may be a real service's database
    (the demo would enrol its sample people there), or last run's (it fails a second time)."""
    if path.exists():
        raise ConfigError(t(CLI_LANGUAGE, "cli.demo.keep_exists", path=path))
    if not path.resolve().parent.is_dir():
        folder = path.resolve().parent
        raise ConfigError(t(CLI_LANGUAGE, "cli.demo.keep_no_folder", folder=folder))


def play(keep_database: str | None = None) -> int:
    """Run the demo; 0 when the whole consultation played, 1 otherwise (with the reason)."""
    if keep_database:
        _check_new_file(Path(keep_database))
    with tempfile.TemporaryDirectory(prefix="relais-demo-") as tmp:
        folder = Path(tmp)
        db_path = Path(keep_database) if keep_database else folder / "demo.db"
        database_url = f"sqlite:///{db_path.resolve()}"
        db = Database(database_url)
        db.upgrade()
        with SandboxServer(token=DEMO_TOKEN) as sandbox, SandboxClient(sandbox.control_url) as user:
            bot = BotProcess(
                token=DEMO_TOKEN,
                base_url=sandbox.base_url,
                database_url=database_url,
                log_path=folder / "bot.log",
                extra_env=_directory_env(),
            )
            print(t(CLI_LANGUAGE, "cli.demo.starting", base=sandbox.base_url), flush=True)
            bot.start()
            try:
                reference = _scenario(user, db)
            except (TimeoutError, ValueError) as exc:
                print("\n" + t(CLI_LANGUAGE, "cli.demo.failed", error=exc), file=sys.stderr)
                tail = t(CLI_LANGUAGE, "cli.demo.log_tail", log=bot.log_tail())
                print("\n" + tail, file=sys.stderr)
                return 1
            finally:
                bot.stop()
            print(f"\n=== {t(CLI_LANGUAGE, 'cli.demo.transcript')} ===\n")
            print(user.render_transcript(NAMES))
        print(f"\n=== {t(CLI_LANGUAGE, 'cli.demo.log_says', reference=reference)} ===\n")
        _print_timeline(db, reference)
        db.dispose()
    return 0


def _directory_env() -> dict[str, str]:
    """The bot runs in a temporary folder: point it at the sample directory and the
    screening questions explicitly."""
    env = {}
    if SAMPLE_DIRECTORY.exists():
        env["RELAIS_DIRECTORY_PATH"] = str(SAMPLE_DIRECTORY)
    if SCREENING.exists():
        env["RELAIS_SCREENING_PATH"] = str(SCREENING)
    return env


def _scenario(user: SandboxClient, db: Database) -> str:
    user.add_user(OFFICER, "Julie Tremblay", language_code="fr")
    user.add_user(WORKER_FR, "Marie Roy", language_code="fr")
    user.add_user(WORKER_EN, "Sam Wilson", language_code="en")
    _enrol(user, db, OFFICER, Role.OFFICER, "Agent Julie Tremblay", "Bienvenue", STARTUP_TIMEOUT)
    _enrol(user, db, WORKER_FR, Role.WORKER, "Marie Roy", "Bienvenue", STEP_TIMEOUT)
    _enrol(user, db, WORKER_EN, Role.WORKER, "Sam Wilson", "Welcome", STEP_TIMEOUT)
    user.send_text(WORKER_FR, "/on")
    user.wait_for_text(WORKER_FR, "Vous êtes disponible", STEP_TIMEOUT)
    user.send_text(WORKER_EN, "/on")
    user.wait_for_text(WORKER_EN, "You are available", STEP_TIMEOUT)

    user.send_text(
        OFFICER,
        "Homme d'environ 40 ans sur le pont, dit vouloir sauter. Il me parle, calme pour "
        "l'instant. Comment l'aborder ?",
    )
    prompt = user.wait_for_text(OFFICER, "Quelle catégorie", STEP_TIMEOUT)
    user.press(OFFICER, prompt["message_id"], text="Risque suicidaire")
    user.wait_for_text(OFFICER, "Quelle urgence", STEP_TIMEOUT)
    user.press(OFFICER, prompt["message_id"], text="Immédiate (danger maintenant)")
    sent = user.wait_for_text(OFFICER, "envoyée", STEP_TIMEOUT)
    reference = sent["text"].split()[1]
    if SAMPLE_DIRECTORY.exists():  # while a worker is found: resources open now
        user.wait_for_text(OFFICER, f"{reference} — en attendant", STEP_TIMEOUT)

    if SCREENING.exists():  # the request is out; the officer answers one question, skips the rest
        question = user.wait_for_text(OFFICER, f"{reference} · question 1", STEP_TIMEOUT)
        user.press(OFFICER, question["message_id"], text="Non")
        user.wait_for(
            OFFICER,
            lambda m: m["message_id"] == question["message_id"] and "question 2" in m["text"],
            STEP_TIMEOUT,
            description="the second screening question",
        )
        user.press(OFFICER, question["message_id"], text="Passer les questions")
        user.wait_for_text(OFFICER, "questions passées", STEP_TIMEOUT)

    card_fr = user.wait_for_text(WORKER_FR, f"Nouvelle demande {reference}", STEP_TIMEOUT)
    user.wait_for_text(WORKER_EN, f"New request {reference}", STEP_TIMEOUT)
    user.press(WORKER_FR, card_fr["message_id"], text="Accepter")
    user.wait_for_text(OFFICER, "acceptée par Marie Roy", STEP_TIMEOUT)
    user.wait_for_text(WORKER_EN, "Taken by Marie Roy", STEP_TIMEOUT)
    user.wait_for_text(WORKER_FR, "Écrivez ici pour répondre", STEP_TIMEOUT)  # her introduction

    user.send_text(
        WORKER_FR,
        "Restez à sa hauteur, à distance. Demandez-lui son prénom et s'il a consommé. "
        "Ne promettez rien que vous ne pouvez tenir.",
    )
    user.wait_for_text(OFFICER, "Demandez-lui son prénom", STEP_TIMEOUT)
    user.send_text(OFFICER, "Il s'appelle Marc, il a bu. Il accepte de venir à l'hôpital.")
    user.wait_for_text(WORKER_FR, "Il s'appelle Marc", STEP_TIMEOUT)
    user.send_location(OFFICER, 45.5227, -73.5396)
    user.wait_for(WORKER_FR, lambda m: "location" in m, STEP_TIMEOUT, description="a location")
    user.send_text(WORKER_FR, "Parfait. J'appelle l'urgence pour les prévenir.")
    user.wait_for_text(OFFICER, "J'appelle l'urgence", STEP_TIMEOUT)

    user.send_text(WORKER_FR, "/close")
    user.wait_for_text(OFFICER, "a été fermée par Marie Roy", STEP_TIMEOUT)
    outcome = user.wait_for_text(WORKER_FR, "Quel est le résultat", STEP_TIMEOUT)
    user.press(WORKER_FR, outcome["message_id"], text="Transport volontaire à l'hôpital")
    user.wait_for_text(WORKER_FR, "résultat noté", STEP_TIMEOUT)
    plan = user.wait_for_text(WORKER_FR, "un suivi à prévoir", STEP_TIMEOUT)
    user.press(WORKER_FR, plan["message_id"], text="Dans 3 jours")
    user.wait_for_text(WORKER_FR, "suivi prévu le", STEP_TIMEOUT)
    user.send_text(WORKER_FR, "A-t-il été vu par l'équipe de crise ?")
    user.wait_for_text(WORKER_FR, "Note enregistrée", STEP_TIMEOUT)
    return reference


def _enrol(
    user: SandboxClient,
    db: Database,
    user_id: int,
    role: Role,
    name: str,
    greeting: str,
    timeout: float,
) -> None:
    issued = enrolment.create_invite(db, role, name, utc_now, timedelta(hours=1))
    user.send_text(user_id, f"/start {issued.code}")
    user.wait_for_text(user_id, greeting, timeout)


def _print_timeline(db: Database, reference: str) -> None:
    """The same timeline `relais consultations show` prints (the sample is in Montreal)."""
    cid = views.parse_reference(reference)
    assert cid is not None
    for line in timeline_lines(db, cid, ZoneInfo("America/Montreal")):
        print(line)
