"""The prescription PDF: a real PDF whose text carries the letterhead, the lines and the signature.

Text is read back with a small pure-Python extractor (below) that follows each font's ToUnicode
map, so the check needs no pypdf and no poppler. When poppler's tools are installed the text is
cross-checked with ``pdftotext`` and page one is rendered to PNG under var/test-artifacts/ for a
human to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from wagtail.models import Site

from booking.models import Appointment
from booking.prescriptions.pdf import prescription_pdf, to_latin1
from booking.prescriptions.services import save_prescription, sign_prescription
from home.models import ClinicSettings
from tests.factories import make_appointment

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts"

# --- A minimal PDF text extractor -----------------------------------------------------------

_OBJECT = re.compile(rb"(\d+)\s+0\s+obj\b")


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (dictionary text, decoded stream or None).

    Scans forward object by object and reads each stream by its /Length, so bytes inside a
    (binary, compressed) stream are never mistaken for an object header.
    """
    objects = {}
    pos = 0
    while (match := _OBJECT.search(pdf, pos)) is not None:
        start = match.end()
        end = pdf.find(b"endobj", start)
        stream_at = pdf.find(b"stream", start)
        if stream_at == -1 or stream_at > end:
            objects[int(match.group(1))] = (pdf[start:end], None)
            pos = end + len(b"endobj")
            continue
        head = pdf[start:stream_at]
        length = int(re.search(rb"/Length\s+(\d+)", head).group(1))
        data_start = stream_at + len(b"stream")
        data_start += 2 if pdf[data_start : data_start + 2] == b"\r\n" else 1
        data = pdf[data_start : data_start + length]
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        objects[int(match.group(1))] = (head, data)
        pos = pdf.find(b"endobj", data_start + length) + len(b"endobj")
    return objects


def _cmap(data: bytes) -> dict[bytes, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            width = len(lo) // 2
            first = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code.to_bytes(width, "big")] = chr(first + offset)
    return mapping


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """Read a PDF literal string starting after '(' at ``i``; return (bytes, index after ')')."""
    out = bytearray()
    depth = 1
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            nxt = data[i + 1]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group(0)
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            elif nxt in b"\r\n":
                i += 2
            else:
                out.append(nxt)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    raise ValueError("unterminated string")


def _tokens(data: bytes):
    i = 0
    while i < len(data):
        c = data[i : i + 1]
        if c.isspace():
            i += 1
        elif c == b"(":
            value, i = _literal(data, i + 1)
            yield "str", value
        elif c == b"<" and data[i + 1 : i + 2] != b"<":
            end = data.index(b">", i)
            yield "str", bytes.fromhex(re.sub(rb"\s", b"", data[i + 1 : end]).decode())
            i = end + 1
        elif c == b"%":
            while i < len(data) and data[i : i + 1] not in b"\r\n":
                i += 1
        elif c in (b"[", b"]"):
            yield "op", c.decode()
            i += 1
        else:
            match = re.match(rb"<<|>>|/?[^\s()<>\[\]/%]+", data[i:])
            token = match.group(0)
            yield "op", token.decode("latin-1")
            i += len(token)


def pdf_text(pdf: bytes) -> str:
    """The text of ``pdf``: one line per text object (BT … ET), in drawing order."""
    objects = _objects(pdf)
    font_maps = {}
    for num, (head, _data) in objects.items():
        match = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", head)
        if b"/Type /Font" in head or b"/Type/Font" in head:
            font_maps[num] = _cmap(objects[int(match.group(1))][1]) if match else None
    resources = {}
    for head, _data in objects.values():
        for name, num in re.findall(rb"/(\w+)\s+(\d+)\s+0\s+R", head):
            if int(num) in font_maps:
                resources[name.decode()] = font_maps[int(num)]
    content_refs = []
    for head, _data in objects.values():
        if re.search(rb"/Type\s*/Page\b", head):
            content_refs += [int(n) for n in re.findall(rb"/Contents\s+(\d+)\s+0\s+R", head)]

    def decode(raw: bytes, cmap) -> str:
        if cmap is None:
            return raw.decode("cp1252", errors="replace")
        return "".join(cmap.get(raw[k : k + 2], "") for k in range(0, len(raw), 2))

    lines = []
    for ref in content_refs:
        cmap, current, pending, last_name = None, [], [], None
        for kind, value in _tokens(objects[ref][1]):
            if kind == "str":
                pending.append(value)
            elif value.startswith("/"):
                last_name = value[1:]
            elif value == "Tf":
                cmap = resources.get(last_name)
            elif value in ("Tj", "TJ", "'", '"'):
                current.append("".join(decode(raw, cmap) for raw in pending))
                pending = []
            elif value == "ET":
                lines.append("".join(current))
                current, pending = [], []
            elif value not in ("[", "]", "BT") and not re.match(r"^-?[\d.]+$", value):
                pending = []  # any other operator: a string before it was not shown text
    return "\n".join(lines)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clinic(site_tree):
    settings = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    settings.name = "Riverside Clinic"
    settings.address = "12 Riverside Walk\nLondon SE1 9AA"
    settings.phone = "+44 20 7946 0000"
    settings.email = "hello@riverside.example"
    settings.save()
    return settings


@pytest.fixture
def signed_prescription(clinic, doctor, doctor_user, free_slot):
    slot = free_slot(doctor)
    appointment = make_appointment(
        doctor,
        slot=slot,
        full_name="José Müller-Łukasik",
        email="jose@example.com",
        status=Appointment.Status.CONFIRMED,
    )
    save_prescription(
        appointment,
        doctor_user,
        advice="Drink plenty of water. Return sooner if the fever lasts more than three days.",
        follow_up_on=slot.start.date() + timedelta(days=14),
        medications=[
            {
                "drug": "Amoxicillin",
                "dose": "500 mg",
                "frequency": "three times a day",
                "duration": "7 days",
                "instructions": "after food",
            },
            {"drug": "Paracétamol", "dose": "1 g", "frequency": "every 6 hours", "duration": "3 days"},
        ],
        tests=[{"name": "Full blood count", "notes": "fasting"}, {"name": "Chest X-ray"}],
    )
    return sign_prescription(appointment, doctor_user)


# --- Tests ----------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_letterhead_lines_and_signature(signed_prescription):
    data = prescription_pdf(signed_prescription, compress=False)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = squash(pdf_text(data))
    appointment = signed_prescription.appointment
    for expected in (
        "Riverside Clinic",
        "12 Riverside Walk",
        "London SE1 9AA",
        # ClinicSettings.phone is a PhoneNumberField kept in E.164; the letterhead prints it for
        # people to read (portal.phones.display_phone).
        "Tel. +44 20 7946 0000",
        "hello@riverside.example",
        "Dr Ada Lovelace",
        "Consultant",
        "José Müller-Łukasik",
        appointment.reference,
        "Amoxicillin",
        "500 mg",
        "three times a day",
        "7 days",
        "after food",
        "Paracétamol",
        "every 6 hours",
        "Full blood count",
        "fasting",
        "Chest X-ray",
        "Drink plenty of water.",
        "Version 1",
        "Signed by Dr Ada Lovelace on",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    local_day = appointment.local_starts_at
    assert f"{local_day.day} {local_day:%B %Y}" in text  # the appointment date, in the clinic's zone
    follow_up = signed_prescription.follow_up_on
    assert f"{follow_up.day} {follow_up:%B %Y}" in text
    assert "DRAFT" not in text


def test_compressed_pdf_has_the_same_text(signed_prescription):
    data = prescription_pdf(signed_prescription)
    assert data.startswith(b"%PDF-")
    assert b"/FlateDecode" in data
    text = squash(pdf_text(data))
    assert "Amoxicillin" in text and "Signed by Dr Ada Lovelace" in text


def test_draft_is_marked_as_not_valid(signed_prescription, doctor_user):
    save_prescription(
        signed_prescription.appointment,
        doctor_user,
        advice="Changed advice.",
        follow_up_on=None,
        medications=[{"drug": "Ibuprofen", "dose": "200 mg", "frequency": "as needed", "duration": "5 days"}],
        tests=[],
    )
    signed_prescription.refresh_from_db()
    text = squash(pdf_text(prescription_pdf(signed_prescription, compress=False)))
    assert "DRAFT" in text and "Not valid for dispensing" in text
    assert "version 2" in text.lower()
    assert "Signed by" not in text


def test_long_prescription_flows_onto_numbered_pages(signed_prescription, doctor_user):
    lines = [
        {"drug": f"Medicine {n:02d}", "dose": "10 mg", "frequency": "daily", "duration": "30 days"} for n in range(30)
    ]
    save_prescription(
        signed_prescription.appointment,
        doctor_user,
        advice="Long advice. " * 40,
        follow_up_on=None,
        medications=lines,
        tests=[],
    )
    signed_prescription.refresh_from_db()
    text = squash(pdf_text(prescription_pdf(signed_prescription, compress=False)))
    assert "Page 1 of 2" in text and "Page 2 of 2" in text
    assert "Medicine 00" in text and "Medicine 29" in text
    assert "(continued)" in text


def test_without_the_unicode_font_it_falls_back_to_latin1(signed_prescription, settings, tmp_path):
    settings.PRESCRIPTION_PDF_FONT_DIR = str(tmp_path)  # no DejaVu here
    data = prescription_pdf(signed_prescription, compress=False)
    assert data.startswith(b"%PDF-")
    assert b"/Helvetica" in data and b"DejaVu" not in data
    text = squash(pdf_text(data))
    assert "José Müller-Lukasik" in text  # é and ü are Latin-1; Ł is decomposed to L
    assert "Paracétamol" in text and "Amoxicillin" in text


def test_to_latin1_keeps_what_it_can():
    assert to_latin1("Łódź – “½ tablet” …") == 'Lódz - "½ tablet" ...'
    assert to_latin1("东京") == "??"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_same_text(signed_prescription, tmp_path):
    path = tmp_path / "rx.pdf"
    path.write_bytes(prescription_pdf(signed_prescription))
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own file
        [shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    text = squash(result.stdout)
    for expected in ("Riverside Clinic", "José Müller-Łukasik", "Amoxicillin", "Paracétamol", "Page 1 of 1"):
        assert expected in text, expected


def _png(pdf: bytes, name: str, page: int) -> Path:
    """Render one page with poppler's pdftoppm into var/test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    subprocess.run(  # noqa: S603 - fixed arguments, our own file
        [shutil.which("pdftoppm"), "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(pdf_path), str(ARTIFACTS / name)],
        check=True,
        capture_output=True,
    )
    return ARTIFACTS / f"{name}.png"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_render_pages_to_png_for_review(signed_prescription, doctor_user):
    """Not a pixel comparison: leaves images of a signed letter and a long draft for a human."""
    png = _png(prescription_pdf(signed_prescription), "prescription", 1)
    assert png.read_bytes().startswith(b"\x89PNG")

    lines = [
        {"drug": f"Medicine {n:02d}", "dose": "10 mg", "frequency": "daily", "duration": "30 days"} for n in range(24)
    ]
    save_prescription(
        signed_prescription.appointment,
        doctor_user,
        advice="Long advice. " * 40,
        follow_up_on=None,
        medications=lines,
        tests=[{"name": "Lipid profile", "notes": "fasting, 12 hours"}],
    )
    signed_prescription.refresh_from_db()
    png = _png(prescription_pdf(signed_prescription), "prescription-draft-page-2", 2)
    assert png.read_bytes().startswith(b"\x89PNG")
