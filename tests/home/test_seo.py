"""Sitemap, robots.txt, descriptions, canonical URLs, Open Graph and schema.org JSON-LD, parsed."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from home.models import ClinicSettings, StandardPage
from tests.factories import make_doctor

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def doctor_page(site_tree):
    site = site_tree["home"].get_site()
    ClinicSettings.objects.create(
        site=site, name="Riverside Clinic", address="1 River Road\nLeeds LS1 1AA", phone="+441134960000"
    )
    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 400), (11, 93, 107)).save(buffer, "PNG")
    photo = Image.objects.create(title="Portrait of Dr Márquez", file=ImageFile(buffer, name="marquez.png"))
    doctor = make_doctor(
        site_tree["doctors"], "Dr Lucía Márquez", specialization=site_tree["cardiology"], slug="marquez"
    )
    doctor.photo, doctor.languages, doctor.consultation_fee = photo, "English, Spanish", Decimal("80.00")
    doctor.save_revision().publish()
    return doctor


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json" nonce="[^"]*">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_sitemap_lists_every_live_public_page(client, site_tree, doctor_page):
    hidden = site_tree["home"].add_child(instance=StandardPage(title="Draft", slug="draft", live=False))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own sitemap, parsed in a test
    locations = {loc.text for loc in root.findall("sm:url/sm:loc", SITEMAP_NS)}
    expected = {
        page.full_url
        for page in (
            site_tree["home"],
            site_tree["about"],
            site_tree["spec_index"],
            site_tree["cardiology"],
            site_tree["doctors"],
            doctor_page,
        )
    }
    assert locations == expected
    assert hidden.full_url not in locations
    lastmod = {
        u.findtext("sm:loc", namespaces=SITEMAP_NS): u.findtext("sm:lastmod", namespaces=SITEMAP_NS) for u in root
    }
    doctor_page.refresh_from_db()
    assert lastmod[doctor_page.full_url] == doctor_page.last_published_at.date().isoformat()


def test_robots_points_at_the_sitemap_and_keeps_private_areas_out(client, site_tree):
    text = client.get("/robots.txt").content.decode()
    assert "User-agent: *" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text
    for path in ("/admin/", "/me/", "/doctor/", "/accounts/"):
        assert f"Disallow: {path}\n" in text


def test_favicon(client, site_tree):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("img/favicon-32.png")
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/img/favicon.svg"' in html


def test_home_is_a_medical_clinic(client, doctor_page):
    html = client.get("/").content.decode()
    (clinic,) = json_ld(html)
    assert clinic["@context"] == "https://schema.org" and clinic["@type"] == "MedicalClinic"
    assert clinic["name"] == "Riverside Clinic"
    assert clinic["address"] == {"@type": "PostalAddress", "streetAddress": "1 River Road, Leeds LS1 1AA"}
    assert clinic["url"] == "http://testserver/"


def test_doctor_page_is_a_physician_with_breadcrumbs(client, site_tree, doctor_page):
    html = client.get(doctor_page.url).content.decode()
    physician, breadcrumbs = json_ld(html)
    assert physician["@type"] == "Physician"
    assert physician["name"] == "Dr Lucía Márquez"
    assert physician["medicalSpecialty"] == ["Cardiology"]
    assert physician["knowsLanguage"] == ["English", "Spanish"]
    assert physician["address"]["streetAddress"] == "1 River Road, Leeds LS1 1AA"
    assert physician["url"] == doctor_page.full_url
    assert physician["image"].endswith(".jpg") and "/media/images/" in physician["image"]
    assert breadcrumbs["@type"] == "BreadcrumbList"
    items = breadcrumbs["itemListElement"]
    assert [(i["position"], i["name"]) for i in items] == [(1, "Home"), (2, "Doctors"), (3, "Dr Lucía Márquez")]
    assert items[-1]["item"] == doctor_page.full_url


def test_doctor_page_head_has_description_canonical_and_open_graph(client, doctor_page):
    html = client.get(doctor_page.url + "?utm_source=x").content.decode()
    assert f'<link rel="canonical" href="{doctor_page.full_url}">' in html
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    assert description == "Dr Lucía Márquez, Consultant (Cardiology) at Riverside Clinic. Book online."
    assert '<meta property="og:type" content="profile">' in html
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og_image.startswith("http://testserver/media/images/marquez") and ".fill-1200x630." in og_image
    # A 400 px square photo is cropped to the 1200:630 shape without being enlarged.
    assert '<meta property="og:image:width" content="400">' in html
    assert '<meta property="og:image:height" content="210">' in html


def test_promote_tab_description_wins(client, site_tree, django_capture_on_commit_callbacks):
    cardiology = site_tree["cardiology"]
    html = client.get(cardiology.url).content.decode()
    assert '<meta name="description" content="Hearts and vessels.">' in html
    cardiology.search_description = "Heart specialists in Leeds."
    cardiology.seo_title = "Heart doctors"
    with django_capture_on_commit_callbacks(execute=True):  # publishing renews cached pages on commit
        cardiology.save_revision().publish()
    html = client.get(cardiology.url).content.decode()
    assert '<meta name="description" content="Heart specialists in Leeds.">' in html
    assert "<title>Heart doctors · " in html
    assert '<meta property="og:title" content="Heart doctors">' in html


def test_json_ld_cannot_break_out_of_its_script(client, site_tree):
    about = site_tree["about"]
    about.title = "</script><script>alert(1)</script>"
    about.save_revision().publish()
    html = client.get(about.url).content.decode()
    (breadcrumbs,) = json_ld(html)
    assert breadcrumbs["itemListElement"][-1]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in html
