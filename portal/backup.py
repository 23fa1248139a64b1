"""Backups: the database and every stored file in one archive, and a restore that checks it first.

An archive is a ``.tar.gz`` holding:

* ``manifest.json``: format, creation time, database vendor, the applied migrations, the row
  count of every table, and for the database dump and each file its size and SHA-256;
* ``database.sql`` (MariaDB/MySQL, from ``mariadb-dump``/``mysqldump`` in one consistent
  snapshot: ``--single-transaction``) or ``database.sqlite3`` (SQLite, copied with SQLite's
  online backup API, which gives a consistent copy even while the portal writes);
* ``files/<storage>/<name>``: everything in the ``default`` (public media) and ``private``
  (prescription attachments) storages, read through Django's storage API, so the same code backs
  up a folder on disk or an S3 bucket.

``restore`` refuses, before changing anything, an archive that is unreadable or truncated,
whose members do not match their checksums or the manifest's list, that was made on another
database vendor, or whose applied migrations differ from the migrations of this code (restore it
with the code version that made it). Then it replaces the database, writes the files back under
their own names, checks every table's row count against the manifest and clears the cache.

Files are copied after the database dump: a file uploaded meanwhile may be in the archive without
its row (harmless), one deleted meanwhile may be missing (its row then shows "missing from
storage"). Nightly backups at a quiet hour avoid both; on S3, bucket versioning covers the rest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.cache import cache
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
STORAGE_ALIASES = ("default", "private")
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why an archive cannot be made or restored; the message is for the operator."""


@dataclass
class Summary:
    path: Path
    tables: int
    rows: int
    files: int
    bytes: int


# --- Making an archive ---------------------------------------------------------------------------


def create_backup(path: Path, *, log: Callable[[str], None] = lambda line: None) -> Summary:
    """Write an archive of the database and the stored files to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="clinic-backup-") as work:
        log(f"Dumping the {vendor} database…")
        dump = Path(work) / database_member(vendor)
        dump_database(dump)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "vendor": vendor,
            "migrations": applied_migrations(),
            "tables": table_counts(),
            "database": {"name": dump.name, "size": dump.stat().st_size, "sha256": sha256_file(dump)},
            "files": [],
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            for alias in STORAGE_ALIASES:
                storage = storages[alias]
                count = 0
                for name in walk(storage):
                    entry = add_stored_file(archive, alias, storage, name)
                    manifest["files"].append(entry)
                    count += 1
                log(f"Copied {count} file(s) from the {alias} storage.")
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            archive.addfile(info, io.BytesIO(data))
        partial.replace(path)
    return Summary(
        path=path,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(manifest["files"]),
        bytes=path.stat().st_size,
    )


def database_member(vendor: str) -> str:
    if vendor == "sqlite":
        return "database.sqlite3"
    if vendor == "mysql":
        return "database.sql"
    raise BackupError(f"Backups support SQLite and MariaDB/MySQL, not {vendor}.")


def dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # SQLite's online backup: a consistent snapshot
        finally:
            copy.close()
        return
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if tool is None:
        raise BackupError("mariadb-dump (or mysqldump) is not installed: apt-get install mariadb-client.")
    with client_options() as defaults, target.open("wb") as out:
        result = subprocess.run(  # noqa: S603 - the database's own dump tool, arguments from settings
            [
                tool,
                f"--defaults-extra-file={defaults}",
                "--single-transaction",
                "--quick",
                "--routines",
                "--triggers",
                "--hex-blob",
                "--no-tablespaces",
                "--default-character-set=utf8mb4",
                connection.settings_dict["NAME"],
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"{Path(tool).name} failed: {result.stderr.decode(errors='replace').strip()}")


@contextmanager
def client_options() -> Iterator[str]:
    """A private option file with the connection's host, port, user and password for the MariaDB
    command-line tools, so the password never appears in a process list."""
    db = connection.settings_dict
    lines = ["[client]"]
    for key, option in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if db.get(key):
            lines.append(f"{option}={db[key]}")
    handle, path = tempfile.mkstemp(prefix="clinic-db-", suffix=".cnf")  # created 0600
    try:
        with os.fdopen(handle, "w") as out:
            out.write("\n".join(lines) + "\n")
        yield path
    finally:
        os.unlink(path)


def applied_migrations() -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def code_migrations() -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def table_counts() -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the database
            counts[table] = cursor.fetchone()[0]
    return counts


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage`` (which may be a folder that does not exist yet)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from walk(storage, f"{folder}/{sub}" if folder else sub)


class _Hashing:
    """A read-only file wrapper that hashes what is read through it (tar reads it once)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def add_stored_file(archive: tarfile.TarFile, alias: str, storage: Storage, name: str) -> dict:
    info = tarfile.TarInfo(member_name(alias, name))
    info.size = storage.size(name)
    info.mtime = int(datetime.now(UTC).timestamp())
    with storage.open(name, "rb") as handle:
        reader = _Hashing(handle)
        archive.addfile(info, reader)
    return {"storage": alias, "name": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def member_file(archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = archive.extractfile(member)
    if handle is None:
        raise BackupError(f"The archive holds {member.name!r}, which is not a file.")
    return handle


def member_name(alias: str, name: str) -> str:
    return f"files/{alias}/{name}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- Checking and restoring ----------------------------------------------------------------------


def verify_archive(path: Path) -> dict:
    """Read the whole archive once and return its manifest, or raise BackupError saying what is
    wrong. Nothing is changed: this is the first half of every restore.

    The manifest is the archive's last member (it holds the others' checksums), so members are
    hashed as they stream past and compared at the end; a gzip stream is never read backwards.
    """
    digests: dict[str, tuple[int, str]] = {}
    manifest = None
    try:
        # The gzip stream first, whole: its CRC catches damage anywhere, even past a point where
        # the tar reader would stop early and take the rest for padding.
        with gzip.open(path, "rb") as stream:
            while stream.read(CHUNK):
                pass
        with tarfile.open(path, "r|gz") as archive:
            for member in archive:
                if not member.isfile():
                    raise BackupError(f"The archive holds {member.name!r}, which is not a file.")
                handle = member_file(archive, member)
                if member.name == MANIFEST:
                    manifest = json.load(handle)
                    continue
                digest = hashlib.sha256()
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                digests[member.name] = (member.size, digest.hexdigest())
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"The archive cannot be read ({exc.__class__.__name__}: {exc}); it is damaged.") from exc
    if not isinstance(manifest, dict):
        raise BackupError("The archive has no manifest.json: it is not a portal backup, or it was cut short.")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}; expected {FORMAT}.")
    try:
        expected = {manifest["database"]["name"]: manifest["database"]}
        expected |= {member_name(f["storage"], f["name"]): f for f in manifest["files"]}
        for name, entry in expected.items():
            if name not in digests:
                raise BackupError(f"The archive lacks {name}, which its manifest lists.")
            if digests[name] != (entry["size"], entry["sha256"]):
                raise BackupError(f"{name} does not match its checksum: the archive is damaged.")
        extra = sorted(set(digests) - set(expected))
        if extra:
            raise BackupError(f"The archive holds {extra[0]!r}, which its manifest does not list.")
        vendor, migrations = manifest["vendor"], manifest["migrations"]
    except (KeyError, TypeError) as exc:
        raise BackupError(f"The archive's manifest is incomplete ({exc}).") from exc
    if vendor != connection.vendor:
        raise BackupError(
            f"The archive is a {vendor} database; this portal runs on {connection.vendor}. "
            "Restore it on the same kind of database."
        )
    ours = code_migrations()
    if migrations != ours:
        newer = sorted(set(migrations) - set(ours))
        older = sorted(set(ours) - set(migrations))
        parts = []
        if newer:
            parts.append(f"{len(newer)} migration(s) this code does not have (e.g. {newer[0]})")
        if older:
            parts.append(f"lacks {len(older)} this code has (e.g. {older[0]})")
        raise BackupError(
            f"The archive's schema differs from this code's: it has {' and '.join(parts)}. "
            "Restore it with the version of the portal that made it, then migrate."
        )
    return manifest


def restore_backup(
    path: Path, *, manifest: dict | None = None, log: Callable[[str], None] = lambda line: None
) -> Summary:
    """Check the archive (unless given the manifest ``verify_archive`` returned for it), then
    replace the database and the stored files with its contents."""
    if manifest is None:
        manifest = verify_archive(path)
    files = {member_name(f["storage"], f["name"]): f for f in manifest["files"]}
    written = 0
    with tempfile.TemporaryDirectory(prefix="clinic-restore-") as work, tarfile.open(path, "r|gz") as archive:
        for member in archive:
            source = member_file(archive, member)
            if member.name == manifest["database"]["name"]:
                dump = Path(work) / member.name
                with dump.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                log(f"Replacing the {connection.vendor} database…")
                load_database(dump, keep=set(manifest["tables"]))
            elif member.name in files:
                entry = files[member.name]
                storage = storages[entry["storage"]]
                if storage.exists(entry["name"]):
                    storage.delete(entry["name"])
                saved = storage.save(entry["name"], File(source, name=PurePosixPath(entry["name"]).name))
                if saved != entry["name"]:
                    raise BackupError(f"{entry['name']} was stored as {saved}.")
                written += 1
    log(f"Wrote {written} file(s) back.")
    counts = table_counts()
    wrong = sorted(table for table, rows in manifest["tables"].items() if counts.get(table) != rows)
    if wrong:
        raise BackupError(f"After the restore {len(wrong)} table(s) differ from the archive, e.g. {wrong[0]}.")
    cache.clear()  # pages and counters cached from the data that was replaced
    return Summary(path=path, tables=len(counts), rows=sum(counts.values()), files=written, bytes=path.stat().st_size)


def load_database(dump: Path, *, keep: set[str]) -> None:
    """Replace the database with the dump; tables the dump does not have are dropped after."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(dump)
        try:
            copy.backup(connection.connection)  # replaces every page of the live database
        finally:
            copy.close()
        return
    tool = shutil.which("mariadb") or shutil.which("mysql")
    if tool is None:
        raise BackupError("The mariadb client is not installed: apt-get install mariadb-client.")
    connection.close()  # no open transaction of ours may hold locks on the tables being replaced
    with client_options() as defaults, dump.open("rb") as source:
        # The dump drops and recreates each of its tables.
        result = subprocess.run(  # noqa: S603 - the database's own client, arguments from settings
            [
                tool,
                f"--defaults-extra-file={defaults}",
                "--default-character-set=utf8mb4",
                connection.settings_dict["NAME"],
            ],
            stdin=source,
            stderr=subprocess.PIPE,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"Loading the dump failed: {result.stderr.decode(errors='replace').strip()}")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        extra = [table for table in connection.introspection.table_names(cursor) if table not in keep]
        if extra:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            try:
                for table in extra:
                    cursor.execute(f"DROP TABLE {quote(table)}")
            finally:
                cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
