"""Requests per second of each role's main pages against a bare Flask + Jinja page, same server, same run.

    .venv/bin/python benchmarks/pages.py [--databases sqlite,postgresql] [--seconds 3] [--connections 4]
                                         [--projects 10000] [--companies 500] [--postings 200000]

For each database: a throw-away database with the demo data scaled up (companies, projects with two members
and two locations, balanced ledger entries; COPY on PostgreSQL), then the app and ``benchmarks/bare_app.py``
under the same gunicorn settings (2 sync workers, production settings), a login as each demo role, and every
page of that role's main journey loaded with ``wrk`` in turn (one page at a time, ``--seconds`` each). The bare
page is measured before each role's pages and after the last; a page's ratio is against the mean of the two
bare figures around it. Prints requests/s, p50 and p95 (ms), the ratio and the 1-minute load average beside
each figure. Only ratios count: these machines are noisy.

Each signed-in page is measured twice (``--modes``), on two app servers over the same database: *guardada*,
as deployed (a page asked for again by the same session, with nothing changed, is served from the kept
pages of ``portfolio/kept_pages.py``), and *generada*, with ``KEPT_PAGES_SECONDS=0`` (every request renders
the page: what the first visit after any change costs).

    .venv/bin/python benchmarks/pages.py --profile postgresql   # pyinstrument on each page, in process
    .venv/bin/python benchmarks/pages.py --statements sqlite    # SQL statements of each page, in process
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "p" * 48
from portfolio.seeding import DEMO_PASSWORD as PASSWORD  # noqa: E402

# A signed-in page served again from the kept pages (portfolio/kept_pages.py) or rendered on every request.
MODES = ("guardada", "generada")

# Each role's main journey: the pages its users open all day (ids resolved once data exists).
JOURNEYS = {
    "anónimo": (None, ["/transparencia/", "/transparencia/proyectos", "/transparencia/fideicomiso"]),
    "staff": ("staff@demo.pe", ["/", "/proyectos/", "/proyectos/{project}", "/proyectos/etapas", "/fideicomiso/",
                                "/fideicomiso/estado-de-cuenta", "/fideicomiso/aportes", "/fideicomiso/desembolsos"]),
    "empresa": ("empresa1@demo.pe", ["/", "/fideicomiso/empresa", "/proyectos/"]),
    "comité": ("comite1@demo.pe", ["/", "/fideicomiso/comite"]),
    "fiduciario": ("fiduciario@demo.pe", ["/", "/fideicomiso/", "/fideicomiso/estado-de-cuenta"]),
    "auditor": ("auditor@demo.pe", ["/", "/proyectos/"]),
}

# One browser: the session's user agent stays the same, as Flask-Login's session protection expects (a
# request from another agent marks the session not fresh, and so changes it, on every request).
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) portfolio-benchmark"
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


# ---------------------------------------------------------------------------------------------------- data
def create_database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("pages_bench")
        return url, lambda: drop_pg_database(url)
    folder = tempfile.mkdtemp(prefix="pages_bench_")
    return f"sqlite:///{folder}/bench.db", lambda: shutil.rmtree(folder, ignore_errors=True)


def _bulk(conn, table, rows: list[dict]) -> None:
    """Insert ``rows`` (every NOT NULL column given) into ``table``: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    processors = [table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for name in columns]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)])


def _next_id(conn, table) -> int:
    from sqlalchemy import func, select

    return (conn.scalar(select(func.max(table.c.id))) or 0) + 1


def _reset_sequences(conn, tables) -> None:
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in tables:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 (names from the metadata)
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


def scale_up(url: str, companies: int, projects: int, postings: int) -> dict[str, int]:
    """Demo data, then ``companies`` more companies, ``projects`` more projects and ``postings`` more postings
    (balanced two-posting entries spread over two years between the bank and the contributions income)."""
    from decimal import Decimal

    from sqlalchemy import func, select

    from portfolio import clock, create_app, db, migrate, seeding
    from portfolio.db_types import Base
    from portfolio.orgs.models import PublicEntity
    from portfolio.trust import ledger
    from portfolio.trust.services.common import BANK_AVAILABLE, CONTRIBUTIONS_INCOME, chart_of_accounts

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "ENV_MODE": "testing"})
    tables = Base.metadata.tables
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    with app.app_context():
        seeding.load_reference()
        chart_of_accounts()
        db.session.commit()
        entities = db.session.scalars(select(PublicEntity.id)).all()
        # The ledger's history first (the demo then closes those periods with their counts and totals):
        # balanced entries from two years ago to two months ago, bank debited, contributions income credited.
        bank, income = (db.session.scalar(select(ledger.Account).where(ledger.Account.code == code))
                        for code in (BANK_AVAILABLE, CONTRIBUTIONS_INCOME))
        conn = db.session.connection()
        t_entries, t_postings = tables["ledger_entries"], tables["ledger_postings"]
        entry_first, posting_first = _next_id(conn, t_entries), _next_id(conn, t_postings)
        count, start, total = postings // 2, clock.today() - dt.timedelta(days=730), Decimal(0)
        entries, lines = [], []
        for n in range(count):
            eid, amount = entry_first + n, Decimal("10.00") + n % 500
            total += amount
            day = start + dt.timedelta(days=n * 660 // max(count, 1))
            entries.append({"id": eid, "key": f"bench:{eid}", "kind": "bench", "memo": "Movimiento de carga",
                            "effective_date": day, "total": amount, "created_at": now})
            lines.append({"id": posting_first + 2 * n, "entry_id": eid, "account_id": bank.id, "debit": amount,
                          "credit": Decimal(0), "effective_date": day})
            lines.append({"id": posting_first + 2 * n + 1, "entry_id": eid, "account_id": income.id,
                          "debit": Decimal(0), "credit": amount, "effective_date": day})
        _bulk(conn, t_entries, entries)
        _bulk(conn, t_postings, lines)
        _reset_sequences(conn, [t_entries, t_postings])
        bank.balance += bank.signed(total, Decimal(0))
        income.balance += income.signed(Decimal(0), total)
        db.session.commit()
        seeding.load_demo()
        db.session.commit()
    engine = db.make_engine(url)
    with engine.begin() as conn:
        t_companies, t_projects = tables["companies"], tables["projects"]
        first = _next_id(conn, t_companies)
        company_ids = list(range(first, first + companies))
        _bulk(conn, t_companies, [{"id": cid, "ruc": f"20{cid:09d}", "legal_name": f"Empresa de carga {cid} S.A.C.",
                                   "sector": "mineria", "active": True, "created_at": now, "version": 1}
                                  for cid in company_ids])
        first = _next_id(conn, t_projects)
        stages = ("priorizado", "adjudicado", "convenio_suscrito", "en_ejecucion", "concluido")
        project_ids = list(range(first, first + projects))
        _bulk(conn, t_projects, [{
            "id": pid, "name": f"Mejoramiento del servicio de seguridad ciudadana {pid:05d}",
            "entity_id": entities[pid % len(entities)], "sector": "orden_publico", "mechanism": "oxi",
            "multidepartmental": False, "stage": stages[pid % len(stages)], "proinversion_assisted": False,
            "reference_amount": Decimal(1_000_000 + pid), "awarded_amount": Decimal(900_000 + pid),
            "is_demo": True, "created_at": now, "version": 1} for pid in project_ids])
        _bulk(conn, tables["project_members"], [
            {"project_id": pid, "company_id": company_ids[(pid + k) % companies], "share_hundredths": share,
             "position": k} for pid in project_ids for k, share in ((0, 6000), (1, 4000))])
        _bulk(conn, tables["project_locations"], [
            {"project_id": pid, "ubigeo": ubigeo} for pid in project_ids for ubigeo in ("130101", "130104")])
        _reset_sequences(conn, [t_companies, t_projects, tables["project_members"], tables["project_locations"]])
        counts = {name: conn.scalar(select(func.count()).select_from(tables[name]))
                  for name in ("companies", "projects", "ledger_postings", "trust_contributions")}
        counts["project"] = project_ids[len(project_ids) // 2] if project_ids else first - 1
    if engine.dialect.name == "postgresql":  # as after any bulk load: else autovacuum would visit the new rows
        from sqlalchemy import text  # while the first pages are being measured

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return counts


# ---------------------------------------------------------------------------------------------------- servers
def start_server(app_spec: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [GUNICORN, "--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
               "--no-control-socket", "--log-level", "warning", app_spec]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                               stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz" if "portfolio" in app_spec
                                   else f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None:
                raise RuntimeError(f"{app_spec} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"{app_spec} did not answer within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(base: str, email: str) -> str:
    """The session cookie of a fresh login as ``email`` (the CSRF token read from the login form)."""
    opener = urllib.request.build_opener(_NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(f"{base}/login", timeout=300) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrf_token": html.unescape(token), "email": email, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/login", data=data, headers={"Cookie": cookie})
    try:
        opener.open(request, timeout=300)
        raise RuntimeError(f"login as {email} did not redirect")
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise RuntimeError(f"login as {email}: HTTP {exc.code}") from None
        cookie = exc.headers["Set-Cookie"].split(";", 1)[0]
    # The page after the login shows its welcome message and takes it out of the session: keep the cookie
    # that answer sets, as a browser does (the login's cookie would carry the message on every request).
    request = urllib.request.Request(f"{base}/", headers={"User-Agent": USER_AGENT, "Cookie": cookie})
    with urllib.request.urlopen(request, timeout=300) as response:
        updated = response.headers["Set-Cookie"]
    return updated.split(";", 1)[0] if updated else cookie


def check(url: str, cookie: str | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})})
    with urllib.request.urlopen(request, timeout=300) as response:
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")


def wrk(url: str, cookie: str | None, seconds: int, connections: int, script: Path) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
               "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    requests, duration_us, p50, p95, errors = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out).groups()
    return {"rps": int(requests) / (int(duration_us) / 1e6), "p50": float(p50), "p95": float(p95),
            "errors": int(errors), "load": os.getloadavg()[0]}


# ---------------------------------------------------------------------------------------------------- run
def run_database(kind: str, args, port: int, script: Path) -> list[tuple]:
    url, cleanup = create_database(kind)
    app_servers, bare_server = {}, None
    rows = []
    try:
        started = time.perf_counter()
        counts = scale_up(url, args.companies, args.projects, args.postings)
        print(f"\n## {kind}: {counts['companies']} empresas, {counts['projects']} proyectos, "
              f"{counts['ledger_postings']} movimientos, {counts['trust_contributions']} aportes "
              f"(datos en {time.perf_counter() - started:.0f} s)", flush=True)
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "PORTFOLIO_ENV": "production",
               "ALLOW_SQLITE_IN_PRODUCTION": "1", "LOG_LEVEL": "WARNING", "EXPORT_QUEUE": "inline",
               **({"PAGE_CACHE_URL": args.cache_url} if args.cache_url else {})}
        logs = Path(tempfile.mkdtemp(prefix="pages_logs_"))
        modes = [m for m in MODES if args.modes in ("ambos", m)]
        for offset, mode in enumerate(modes):  # a signed-in page served again (kept) or rendered every time
            extra = {} if mode == "guardada" else {"KEPT_PAGES_SECONDS": "0"}
            app_servers[mode] = start_server("portfolio:create_app()", port + 2 + offset, {**env, **extra},
                                             logs / f"app-{mode}.log")
        bare_server = start_server("benchmarks.bare_app:app", port + 1, {}, logs / "bare.log")
        bare_url = f"http://127.0.0.1:{port + 1}/"
        wrk(bare_url, None, 1, args.connections, script)  # warm-up
        bare = [wrk(bare_url, None, args.seconds, args.connections, script)]
        print(f"{'rol':<11} {'página':<32} {'modo':<9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'base req/s':>10} "
              f"{'ratio':>6} {'carga':>6}", flush=True)
        for role, (email, pages) in JOURNEYS.items():
            if args.roles and role not in args.roles.split(","):
                continue
            measured = []
            for mode in modes if email else modes[:1]:  # the portal's pages are the same in both modes
                base = f"http://127.0.0.1:{port + 2 + modes.index(mode)}"
                cookie = login(base, email) if email else None
                for page in pages:
                    path = page.format(project=counts["project"])
                    check(base + path, cookie)
                    wrk(base + path, cookie, 1, args.connections, script)  # warm-up (caches, connections)
                    measured.append((path, mode if email else "pública",
                                     wrk(base + path, cookie, args.seconds, args.connections, script)))
            bare.append(wrk(bare_url, None, args.seconds, args.connections, script))
            reference = (bare[-2]["rps"] + bare[-1]["rps"]) / 2
            for path, mode, figures in measured:
                ratio = figures["rps"] / reference
                rows.append((kind, role, path, figures, reference, ratio, mode))
                print(f"{role:<11} {path:<32} {mode:<9} {figures['rps']:7.0f} {figures['p50']:7.1f} "
                      f"{figures['p95']:7.1f} {reference:10.0f} {ratio:6.2f} {figures['load']:6.2f}"
                      + (f"  ({figures['errors']} errores o tiempos agotados)" if figures["errors"] else ""), flush=True)
    finally:
        for server in (*app_servers.values(), bare_server):
            if server is not None:
                stop_server(server)
        cleanup()
    return rows


def in_process_pages(kind: str, args):
    """On scaled data, in process: yields ``(app, role, client, path)`` for each page of each role's journey
    (``--roles`` to choose), with the client signed in as that role."""
    from portfolio import create_app

    url, cleanup = create_database(kind)
    try:
        counts = scale_up(url, args.companies, args.projects, args.postings)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "ENV_MODE": "production",
                          "LOG_LEVEL": "WARNING", "SESSION_COOKIE_SECURE": False})
        roles = [r.strip() for r in args.roles.split(",") if r.strip()]
        for role, (email, pages) in JOURNEYS.items():
            if roles and role not in roles:
                continue
            client = app.test_client()
            if email:
                page = client.get("/login").get_data(as_text=True)
                token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
                client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
            for path in pages:
                yield app, role, client, path.format(project=counts["project"])
    finally:
        cleanup()


def profile(kind: str, args) -> None:
    """pyinstrument over 30 requests of each page, in process (the test client), on scaled data."""
    from pyinstrument import Profiler

    for _app, role, client, path in in_process_pages(kind, args):
        assert client.get(path).status_code == 200, path
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for _ in range(30):
                client.get(path)
        per_request = (time.perf_counter() - started) / 30 * 1000
        print(f"\n===== {role} {path}: {per_request:.1f} ms per request")
        output = io.StringIO()
        output.write(profiler.output_text(unicode=False, color=False, show_all=False))
        print("\n".join(output.getvalue().splitlines()[:args.profile_lines]))


def statements(kind: str, args) -> None:
    """SQL statements of each page of each role's journey, in process (the test client), on scaled data: the
    first request and a repeated one (which finds the kept results)."""
    from sqlalchemy import event

    print(f"{'rol':<11} {'página':<34} {'primera':>8} {'repetida':>9}")
    totals = [0, 0]
    for app, role, client, path in in_process_pages(kind, args):
        engine = app.extensions["portfolio_db"]["engine"]
        seen = []
        for _ in range(2):
            n = [0]

            def count(*_a, n=n):
                n[0] += 1

            event.listen(engine, "before_cursor_execute", count)
            assert client.get(path).status_code == 200, path
            event.remove(engine, "before_cursor_execute", count)
            seen.append(n[0])
        totals = [totals[0] + seen[0], totals[1] + seen[1]]
        print(f"{role:<11} {path:<34} {seen[0]:8d} {seen[1]:9d}")
    print(f"{'total':<46} {totals[0]:8d} {totals[1]:9d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "5180")))
    parser.add_argument("--roles", default="", help="only these roles (e.g. anónimo,staff)")
    parser.add_argument("--modes", default="ambos", choices=["ambos", *MODES],
                        help="signed-in pages kept and served again (guardada), rendered every time (generada) or both")
    parser.add_argument("--cache-url", default=None,
                        help="PAGE_CACHE_URL for the app: redis://… (shared), none (no page cache and no kept results)")
    parser.add_argument("--profile", metavar="DATABASE", help="profile each page in process instead of wrk")
    parser.add_argument("--profile-lines", type=int, default=60)
    parser.add_argument("--statements", metavar="DATABASE", help="count each page's SQL statements instead of wrk")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # servers and databases are cleaned up
    if args.profile:
        profile(args.profile, args)
        return
    if args.statements:
        statements(args.statements, args)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    script = Path(tempfile.mkdtemp(prefix="pages_wrk_")) / "latency.lua"
    script.write_text(LUA)
    started = time.perf_counter()
    rows = []
    for kind in args.databases.split(","):
        rows += run_database(kind.strip(), args, args.port, script)
    print(f"\n## resumen (meta: cada página ≥ 0,50 × la página base; {time.perf_counter() - started:.0f} s)")
    for kind, mode in dict.fromkeys((r[0], r[6]) for r in rows if r[6] != "pública"):
        mine = [r for r in rows if r[0] == kind and r[6] in (mode, "pública")]
        worst = min(mine, key=lambda r: r[5])
        met = sum(1 for r in mine if r[5] >= 0.5)
        print(f"{kind:<11} {mode:<9} {met}/{len(mine)} páginas ≥ 0,50; la peor: {worst[1]} {worst[2]} {worst[5]:.2f}")


if __name__ == "__main__":
    main()
