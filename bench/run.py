"""``make bench``: every page's speed next to a trivial view, in one gunicorn, with production settings.

What it does, in order (``python bench/run.py --help`` for the knobs):

1. Prepares the database named by ``DATABASE_URL`` (default: SQLite at var/bench/bench.sqlite3):
   ``migrate``, ``seed_demo``, and ``seed_scale`` up to ``--doctors``/``--appointments`` scale rows
   if asked (already-seeded rows count, so a second run does not add more); ``collectstatic``.
2. ``python -m bench.setup``: signed-in sessions for a patient, a doctor and staff, the pages'
   paths, and free slots to book (see bench/setup.py).
3. Starts gunicorn with ``portal/gunicorn.conf.py`` and ``portal.settings.bench`` (production
   plus ``/bench/ok``; Redis when ``REDIS_URL`` is set), by default 2 sync workers as in the
   measurements of issue 12.
4. For each page: checks one request answers as expected (200, or 302 for the booking POST),
   then runs three alternating pairs of wrk: the trivial view, then the page, ``--duration``
   seconds each. Reports the medians of requests/s, p50 and p99 latency, and of the three ratios
   page ÷ trivial (each pair measured back to back, so a busy machine shifts both alike).
5. Prints a Markdown table and writes var/bench/<time>-<database>.json (and latest.json).

The booking POST books real slots as the signed-in patient (the form fetched first for its CSRF
token), each slot once, spread over many doctors; when they run out the POSTs become refusals,
counted in the "non-2xx/3xx" column.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PYTHON = sys.executable
TRIVIAL = "/bench/ok"
BENCH_MOBILE = "+447912345678"  # a valid UK mobile number (the form checks it exists)


def _throwaway_rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    # Production refuses to start without attachment keys. The bench's attachments are throwaway,
    # but a fixed key keeps those of an earlier run readable by the next.
    env.setdefault("ATTACHMENT_ENCRYPTION_KEYS", base64.urlsafe_b64encode(hashlib.sha256(b"bench").digest()).decode())
    # ...and without the key that signs the API's access tokens (throwaway here too).
    env.setdefault("JWT_PRIVATE_KEY", _throwaway_rsa_key())
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.bench",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        WAGTAILADMIN_BASE_URL="https://bench.invalid",
        WEB_CONCURRENCY=str(args.workers),
        GUNICORN_THREADS=str(args.gunicorn_threads),
        GUNICORN_BIND=f"127.0.0.1:{args.port}",
        GUNICORN_TIMEOUT="120",
        GUNICORN_ACCESS_LOG=str(BENCH_DIR / "access.log"),
        GUNICORN_LOG_LEVEL="warning",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict[str, str], *command: str) -> None:
    print(f"$ manage.py {' '.join(command)}", flush=True)
    subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str], args: argparse.Namespace) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")
    # Without REDIS_URL the cache (rate limits, cached pages) is a database table, as in `make run`.
    manage(env, "createcachetable")
    manage(env, "seed_demo", "--allow-production")
    if args.doctors or args.appointments:
        have = json.loads(
            subprocess.run(
                [PYTHON, "-c", COUNT_SCALE_ROWS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        doctors = max(args.doctors - have["doctors"], 0)
        appointments = max(args.appointments - have["appointments"], 0)
        if doctors or appointments:
            if not doctors and appointments:
                sys.exit("More appointments need new scale doctors: use a fresh database (see bench/README.md).")
            manage(env, "seed_scale", "--allow-production", f"--doctors={doctors}", f"--appointments={appointments}")
    manage(env, "collectstatic", "--noinput", "-v", "0")


COUNT_SCALE_ROWS = """
import django, json
django.setup()
from booking.models import Appointment
from home.models import DoctorPage
scale = DoctorPage.objects.filter(slug__startswith="scale-doctor-")
print(json.dumps({"doctors": scale.count(), "appointments": Appointment.objects.filter(doctor__in=scale).count()}))
"""


def start_server(env: dict[str, str], args: argparse.Namespace) -> subprocess.Popen:
    gunicorn = Path(PYTHON).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "portal/gunicorn.conf.py", "portal.wsgi"], cwd=ROOT, env=env, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if fetch(args.port, "GET", TRIVIAL)[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        time.sleep(0.3)
    stop_server(server)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def fetch(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    """One request; returns (status, headers, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def first_byte_ms(port: int, path: str, headers: dict, tries: int = 5) -> float:
    """Median time until the first bytes of the body arrive, one request at a time.

    For a streamed download (the staff CSV) this is what a person waits before it starts, which
    wrk's latency (the whole body) does not show; for other pages it is close to p50.
    """
    times = []
    for _ in range(tries):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            started = time.monotonic()
            connection.request("GET", path, headers=headers)
            connection.getresponse().read(1)
            times.append(1000 * (time.monotonic() - started))
        finally:
            connection.close()  # a streamed body is abandoned here: the worker stops at its next write
    return statistics.median(times)


class PageFailed(RuntimeError):
    """A page could not be measured; its row says why and the other pages go on."""


def csrf_for(port: int, path: str, cookie: str) -> tuple[str, str]:
    """The booking form's CSRF cookie and token, fetched the way a browser gets them.

    The cookie keeps the name the server gave it (production's is ``__Host-csrftoken``)."""
    status, headers, body = fetch(port, "GET", path, {"Cookie": cookie})
    if status != 200:
        raise PageFailed(f"booking form: HTTP {status}")
    csrf_cookie = next(
        (
            m.group(1)
            for name, value in headers
            if name.lower() == "set-cookie"
            for m in [re.match(r"((?:__Host-)?csrftoken=[^;]+)", value)]
            if m
        ),
        None,
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if csrf_cookie is None or token is None:
        raise PageFailed("booking form: no CSRF cookie or token")
    return f"{cookie}; {csrf_cookie}", token.group(1)


def post_script(setup: dict, token: str, threads: int) -> Path:
    """A wrk script that posts the booking form, each request a different free slot."""
    patient = setup["patient"]
    bodies = []
    for i, (path, slot) in enumerate(setup["slots"]):
        form = {
            "csrfmiddlewaretoken": token,
            "slot": slot,
            "full_name": patient["full_name"],
            "email": patient["email"],
            "mobile": BENCH_MOBILE,
            "reason": f"Benchmark booking {i}",
            "mode": "in_person",
        }
        bodies.append(f"{{{lua_string(path)}, {lua_string(urllib.parse.urlencode(form))}}}")
    script = BENCH_DIR / "post.lua"
    script.write_text(
        "local bodies = {\n" + ",\n".join(bodies) + "\n}\n"
        f"local step = {threads}\n"
        "local next_thread = 0\n"
        "local counter = 0\n"
        "function setup(thread) thread:set('first', next_thread); next_thread = next_thread + 1 end\n"
        # The first argument is where this run starts in the list: runs must not reuse slots.
        "function init(args) counter = first + tonumber(args[1] or 0) end\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        "function request()\n"
        "  local item = bodies[(counter % #bodies) + 1]\n"
        "  counter = counter + step\n"
        '  return wrk.format("POST", item[1], nil, item[2])\n'
        "end\n" + (Path(__file__).with_name("summary.lua")).read_text()
    )
    return script


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) of gunicorn's arbiter and workers so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, …; utime and stime are fields 14 and 15.
        if int(fields[2]) == server.pid:  # the process group gunicorn was started in
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wrk(
    args: argparse.Namespace,
    server: subprocess.Popen,
    path: str,
    cookie: str | None = None,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    duration: int | None = None,
) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}s",
        "--timeout",
        "60s",
        "-s",
        str(script or Path(__file__).with_name("summary.lua")),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{args.port}{path}")
    if script_args:
        command += ["--", *script_args]
    cpu_before = server_cpu_seconds(server)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    cpu = server_cpu_seconds(server) - cpu_before
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # The server's own CPU per request: unlike requests/s, it does not depend on how busy the
    # rest of the machine is.
    result["cpu_ms_per_request"] = 1000 * cpu / max(result["requests"], 1)
    return result


def measure(args: argparse.Namespace, server: subprocess.Popen, setup: dict, page: dict) -> dict:
    cookie = setup["cookies"].get(page["who"]) if page["who"] else None
    script = None
    expected = 200
    first_byte: float | None = None
    if page["name"] == "booking POST":
        cookie, token = csrf_for(args.port, page["path"], cookie)
        script = post_script(setup, token, args.threads)
        expected = 302
        # The check below books the list's last slot, which the run reaches only after the others.
        path, slot = setup["slots"][-1]
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "slot": slot,
                "full_name": setup["patient"]["full_name"],
                "email": setup["patient"]["email"],
                "mobile": BENCH_MOBILE,
                "mode": "in_person",
            }
        )
        status = fetch(
            args.port,
            "POST",
            path,
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            body,
        )[0]
    else:
        started = time.monotonic()
        status = fetch(args.port, "GET", page["path"], {"Cookie": cookie} if cookie else {})[0]
        took = time.monotonic() - started
        first_byte = first_byte_ms(args.port, page["path"], {"Cookie": cookie} if cookie else {})
    # A slow page (the CSV of a month at a million rows) gets runs long enough for a dozen
    # responses on each connection, so its medians are not made of one or two requests.
    duration = max(args.duration, min(120, math.ceil(12 * took))) if expected == 200 else args.duration
    if status != expected:
        print(f"  {page['name']}: HTTP {status}, expected {expected}; skipped", flush=True)
        return {**page, "error": f"HTTP {status}"}
    pairs = []
    used = 0  # booking POST: slots taken by earlier runs (plus a margin for requests in flight)
    for _ in range(args.pairs):
        trivial = wrk(args, server, TRIVIAL, duration=duration)
        measured = wrk(args, server, page["path"], cookie, script, (str(used),) if script else (), duration)
        used += measured["requests"] + 2 * args.connections
        pairs.append({"trivial": trivial, "page": measured, "ratio": measured["rps"] / trivial["rps"]})
    result = {
        **page,
        "rps": statistics.median(p["page"]["rps"] for p in pairs),
        "p50_ms": statistics.median(p["page"]["p50_us"] for p in pairs) / 1000,
        "p99_ms": statistics.median(p["page"]["p99_us"] for p in pairs) / 1000,
        "trivial_rps": statistics.median(p["trivial"]["rps"] for p in pairs),
        "ratio": statistics.median(p["ratio"] for p in pairs),
        "cpu_ms": statistics.median(p["page"]["cpu_ms_per_request"] for p in pairs),
        "trivial_cpu_ms": statistics.median(p["trivial"]["cpu_ms_per_request"] for p in pairs),
        "non_2xx_3xx": sum(p["page"]["errors"]["status"] for p in pairs),
        "first_byte_ms": first_byte,
        "duration_s": duration,
        "pairs": pairs,
    }
    print(
        f"  {page['name']}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, ratio {result['ratio']:.3f}",
        flush=True,
    )
    return result


def table(results: list[dict]) -> str:
    lines = [
        "| page | req/s | p50 ms | p99 ms | first byte ms | ratio | CPU ms/req | trivial req/s | non-2xx/3xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | {r['error']} | | | | | | | |")
            continue
        first = "" if r.get("first_byte_ms") is None else f"{r['first_byte_ms']:.0f}"
        lines.append(
            f"| {r['name']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {first} | {r['ratio']:.3f} | "
            f"{r['cpu_ms']:.1f} | {r['trivial_rps']:.0f} | {r['non_2xx_3xx']} |"
        )
    return "\n".join(lines)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--doctors", type=int, default=0, help="scale doctors to have (seed_scale); default none")
    parser.add_argument("--appointments", type=int, default=0, help="scale appointments to have; default none")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--pairs", type=int, default=3, help="alternating pairs per page (default 3)")
    parser.add_argument(
        "--connections", type=int, default=2, help="wrk connections (default 2: one per worker, so p50 is service time)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--gunicorn-threads", type=int, default=1, help="threads per worker (default 1: sync)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    parser.add_argument("--skip-prepare", action="store_true", help="use the database as it is")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (Debian's package; see bench/README.md)")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    if not args.skip_prepare:
        prepare(env, args)
    setup = json.loads(
        subprocess.run(
            [PYTHON, "-m", "bench.setup"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    server = start_server(env, args)
    results = []
    try:
        for page in setup["pages"]:
            if args.only and args.only not in page["name"]:
                continue
            try:
                results.append(measure(args, server, setup, page))
            except PageFailed as failure:
                print(f"  {page['name']}: {failure}; skipped", flush=True)
                results.append({**page, "error": str(failure)})
    finally:
        stop_server(server)
    report = {
        "started_at": started.isoformat(),
        "commit": git_commit(),
        "data": setup["data"],
        "redis": bool(env.get("REDIS_URL")),
        "machine": {"cores": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "settings": {
            "workers": args.workers,
            "gunicorn_threads": args.gunicorn_threads,
            "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration},
            "pairs": args.pairs,
        },
        "pages": results,
    }
    name = f"{started:%Y%m%dT%H%M%S}-{setup['data']['database']}-{setup['data']['appointments']}.json"
    (BENCH_DIR / name).write_text(json.dumps(report, indent=2))
    (BENCH_DIR / "latest.json").write_text(json.dumps(report, indent=2))
    data = setup["data"]
    print(
        f"\n{data['database']}, {'Redis' if report['redis'] else 'database cache'}, {data['doctors']:,} doctors, "
        f"{data['appointments']:,} appointments; {args.workers} worker(s) × {args.gunicorn_threads} thread(s); "
        f"load average {load_before[0]:.1f} → {report['machine']['loadavg_after'][0]:.1f} on {os.cpu_count()} cores\n"
    )
    print(table(results))
    print(f"\nWritten to {BENCH_DIR / name}")


if __name__ == "__main__":
    main()
