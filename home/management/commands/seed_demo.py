"""``manage.py seed_demo``: a complete, browsable demo clinic on an empty database.

Builds the page tree (home, about, contact, specializations, doctors with working hours and time
off), the clinic settings, generated illustrations and one account per role. Modelled on
bakerydemo's ``load_initial_data``, but written as code rather than a fixture so that it survives
model changes and can place time off relative to today.

Idempotent by design: every object is looked up by a natural key (a page's slug under its parent,
a user's email, an image's title) and only created when missing; nothing that exists is changed.
Running it twice therefore prints "already present" for everything the second time.

The demo passwords below are public by intent: never run this against a production database.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from io import BytesIO

from allauth.account.models import EmailAddress
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.images.models import Image
from wagtail.models import Collection, Page, Site
from wagtail.rich_text import RichText
from wagtail.utils.file import hash_filelike

from booking.models import TimeOff, WorkingHours, clinic_zone
from home import demo_images
from home.models import (
    ClinicSettings,
    DoctorIndexPage,
    DoctorPage,
    DoctorSpecialization,
    HomePage,
    HomePageFeaturedDoctor,
    HomePageFeaturedSpecialization,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from portal.mfa import DEMO_TOTP_SECRET, enrol_totp
from portal.models import User
from portal.phones import normalize_phone
from portal.roles import group_for_role

# The page Wagtail's own migrations put at the top of the tree; the demo replaces it.
WELCOME_TITLE = "Welcome to your new Wagtail site!"
IMAGE_COLLECTION = "Demo images"

CLINIC = {
    "name": "Riverside Clinic",
    "tagline": "Private GP and specialist care on the river, open six days a week",
    "address": "Riverside Clinic\n12 Wharf Street\nLondon\nSE1 9XY",
    "phone": "+44 20 7946 0100",
    "email": "hello@riverside-clinic.example",
    "opening_hours": "Mon–Fri 08:00–19:00\nSaturday 09:00–13:00\nSunday and bank holidays closed",
}

HOME = {
    "title": "Home",
    "slug": "home",
    "seo_title": "Riverside Clinic: private GP and specialist care",
    "hero_title": "Care that fits your day",
    "hero_text": (
        "See an experienced GP or consultant in central London, in person or online, "
        "usually within the week. Choose a time that suits you and book in a minute."
    ),
    "hero_cta_text": "Find a doctor",
    "intro": (
        "<p>Riverside Clinic brings <b>fourteen doctors across eight specializations</b> under one roof, "
        "with tests, scans and follow-ups on site. No referral needed: pick a doctor, pick a time, "
        "and we will see you then.</p>"
    ),
}

# Each pattern is a tuple of (weekdays, intervals). Monday is 0, as in booking.models.Weekday.
WEEKDAYS = (0, 1, 2, 3, 4)
HOURS_PATTERNS = {
    "split_weekdays": ((WEEKDAYS, (("09:00", "12:30"), ("13:30", "17:00"))),),
    "mornings_plus_saturday": ((WEEKDAYS, (("08:30", "12:30"),)), ((5,), (("09:00", "12:00"),))),
    "long_days": (((0, 1, 3), (("08:00", "13:00"), ("14:00", "19:00"))),),
    "afternoons": ((WEEKDAYS, (("13:00", "18:00"),)),),
    "three_days_plus_saturday": (((1, 2, 4), (("09:00", "12:00"), ("13:00", "16:30"))), ((5,), (("09:00", "12:30"),))),
}

SPECIALIZATIONS = (
    {
        "slug": "cardiology",
        "title": "Cardiology",
        "motif": "pulse",
        "summary": "Diagnosis and long-term care for conditions of the heart and blood vessels.",
        "description": (
            "<p>Our cardiologists assess chest pain, palpitations, breathlessness and high blood pressure, "
            "and look after people living with long-term heart conditions.</p>"
            "<p>ECGs, 24-hour heart monitoring, echocardiograms and exercise tests are all done on site, "
            "so you can often see your consultant and have your tests on the same day.</p>"
        ),
        "conditions": (
            "High blood pressure",
            "Palpitations and arrhythmia",
            "Chest pain",
            "Heart failure",
            "High cholesterol",
            "Heart murmurs",
        ),
    },
    {
        "slug": "dermatology",
        "title": "Dermatology",
        "motif": "cells",
        "summary": "Skin, hair and nail care, from eczema and acne to mole checks.",
        "description": (
            "<p>Our dermatologists diagnose and treat conditions of the skin, hair and nails in adults and "
            "children.</p><p>Mole checks use digital dermoscopy, and we can usually remove and test a "
            "suspicious mole within a fortnight.</p>"
        ),
        "conditions": (
            "Eczema",
            "Psoriasis",
            "Acne and rosacea",
            "Mole and skin cancer checks",
            "Hair loss",
            "Urticaria (hives)",
        ),
    },
    {
        "slug": "paediatrics",
        "title": "Paediatrics",
        "motif": "bubbles",
        "summary": "Child-friendly care for babies, children and teenagers up to 16.",
        "description": (
            "<p>Our paediatricians see babies, children and teenagers in a calm clinic with longer "
            "appointments, so there is time for questions and for play.</p>"
            "<p>A parent or guardian should attend with any child under 16.</p>"
        ),
        "conditions": (
            "Asthma and wheeze",
            "Allergies",
            "Feeding and growth concerns",
            "Recurrent infections",
            "Childhood eczema",
            "Bedwetting",
        ),
    },
    {
        "slug": "orthopaedics",
        "title": "Orthopaedics",
        "motif": "blocks",
        "summary": "Bones, joints and muscles: sports injuries, back pain and joint problems.",
        "description": (
            "<p>From a twisted knee to years of hip pain, our orthopaedic and sports medicine doctors find "
            "the cause and agree a plan with you, whether that is physiotherapy, an injection or surgery.</p>"
            "<p>X-rays and ultrasound are available on the day of your appointment.</p>"
        ),
        "conditions": (
            "Knee and hip pain",
            "Back and neck pain",
            "Sports injuries",
            "Osteoarthritis",
            "Shoulder problems",
            "Carpal tunnel syndrome",
        ),
    },
    {
        "slug": "neurology",
        "title": "Neurology",
        "motif": "network",
        "summary": "Assessment and care for headaches, seizures and disorders of the nervous system.",
        "description": (
            "<p>Our neurologists investigate and treat conditions of the brain, spinal cord and nerves, "
            "and work closely with your GP on long-term care.</p>"
            "<p>Bring a list of your symptoms and when they happen: it makes the first appointment far "
            "more useful.</p>"
        ),
        "conditions": (
            "Migraine and headache",
            "Epilepsy",
            "Multiple sclerosis",
            "Parkinson's disease",
            "Dizziness and vertigo",
            "Nerve pain and numbness",
        ),
    },
    {
        "slug": "general-practice",
        "title": "General Practice",
        "motif": "crosses",
        "summary": "Unhurried appointments for everyday health concerns, check-ups and referrals.",
        "description": (
            "<p>Our GPs offer 15-minute appointments, in person or by video, for anything from a "
            "persistent cough to a full health check.</p>"
            "<p>If you need a specialist, we can usually refer you to a colleague in the same building.</p>"
        ),
        "conditions": (
            "Health checks",
            "Coughs, colds and infections",
            "Diabetes reviews",
            "Travel vaccinations",
            "Mental health and wellbeing",
            "Men's and women's health",
        ),
    },
    {
        "slug": "gynaecology",
        "title": "Gynaecology",
        "motif": "petals",
        "summary": "Women's health at every stage of life, in a calm, private setting.",
        "description": (
            "<p>Our gynaecologists see women with period problems, menopause symptoms, fertility "
            "questions and pelvic pain.</p>"
            "<p>You are welcome to ask for a chaperone, or to bring someone with you, at any appointment.</p>"
        ),
        "conditions": (
            "Heavy or painful periods",
            "Menopause",
            "Polycystic ovary syndrome",
            "Endometriosis",
            "Contraception advice",
            "Cervical screening",
        ),
    },
    {
        "slug": "ent",
        "title": "Ear, Nose and Throat",
        "motif": "waves",
        "summary": "Hearing, sinus, throat and balance problems, with same-day hearing tests.",
        "description": (
            "<p>Our ENT surgeons treat problems of the ears, nose, sinuses and throat in adults and "
            "children.</p><p>Hearing tests and nasal endoscopy are done during your appointment.</p>"
        ),
        "conditions": (
            "Hearing loss",
            "Tinnitus",
            "Sinusitis",
            "Tonsillitis",
            "Hay fever and nasal blockage",
            "Voice problems",
        ),
    },
)

FEATURED_SPECIALIZATIONS = (
    "cardiology",
    "general-practice",
    "dermatology",
    "paediatrics",
    "orthopaedics",
    "gynaecology",
)

DOCTORS = (
    {
        "slug": "dr-amara-okafor",
        "name": "Dr Amara Okafor",
        "job_title": "Consultant cardiologist",
        "specializations": ("cardiology",),
        "qualifications": (
            "MBBS, University College London\nMRCP (UK)\nMD (Res), Imperial College London\nCCT in Cardiology"
        ),
        "languages": "English, Yoruba, French",
        "phone": "+44 20 7946 0101",
        "fee": "150.00",
        "slot_minutes": 20,
        "online": True,
        "hours": "split_weekdays",
        "biography": (
            "Dr Okafor leads the clinic's heart rhythm service. She trained at University College London "
            "and completed her research degree on atrial fibrillation at Imperial College.",
            "She sees patients with palpitations, blackouts and high blood pressure, and is known for "
            "explaining test results in plain language.",
        ),
    },
    {
        "slug": "dr-james-whitfield",
        "name": "Dr James Whitfield",
        "job_title": "General practitioner",
        "specializations": ("general-practice",),
        "qualifications": "MBChB, University of Bristol\nMRCGP\nDRCOG",
        "languages": "English",
        "phone": "+44 20 7946 0102",
        "fee": "65.00",
        "slot_minutes": 15,
        "online": True,
        "hours": "mornings_plus_saturday",
        "biography": (
            "Dr Whitfield has been a GP for fifteen years, ten of them in south London. He has a particular "
            "interest in diabetes and in helping people stay well as they get older.",
            "He runs the clinic's Saturday morning surgery.",
        ),
    },
    {
        "slug": "dr-priya-raman",
        "name": "Dr Priya Raman",
        "job_title": "Consultant dermatologist",
        "specializations": ("dermatology",),
        "qualifications": "MBBS, King's College London\nMRCP (UK)\nCCT in Dermatology",
        "languages": "English, Tamil, Hindi",
        "phone": "+44 20 7946 0103",
        "fee": "120.00",
        "slot_minutes": 20,
        "online": True,
        "hours": "three_days_plus_saturday",
        "biography": (
            "Dr Raman specialises in eczema, psoriasis and skin cancer screening. She previously led the "
            "mole clinic at a large London teaching hospital.",
            "She offers video follow-ups for patients already under her care.",
        ),
    },
    {
        "slug": "dr-tomasz-nowak",
        "name": "Dr Tomasz Nowak",
        "job_title": "Consultant orthopaedic surgeon",
        "specializations": ("orthopaedics",),
        "qualifications": "MD, Medical University of Warsaw\nFRCS (Tr & Orth)",
        "languages": "English, Polish",
        "phone": "+44 20 7946 0104",
        "fee": "140.00",
        "slot_minutes": 30,
        "online": False,
        "hours": "long_days",
        "biography": (
            "Mr Nowak is a knee and hip specialist who has treated professional footballers and weekend runners alike.",
            "He believes in trying everything short of surgery first, and in being clear about when "
            "surgery is the right answer.",
        ),
    },
    {
        "slug": "dr-helen-carter",
        "name": "Dr Helen Carter",
        "job_title": "Consultant paediatrician",
        "specializations": ("paediatrics",),
        "qualifications": "MBBS, Newcastle University\nMRCPCH\nCCT in Paediatrics",
        "languages": "English",
        "phone": "+44 20 7946 0105",
        "fee": "110.00",
        "slot_minutes": 30,
        "online": True,
        "hours": "split_weekdays",
        "biography": (
            "Dr Carter looks after children from birth to sixteen, with a special interest in asthma and allergy.",
            "Parents value her calm manner, and children tend to like the stickers.",
        ),
    },
    {
        "slug": "dr-omar-haddad",
        "name": "Dr Omar Haddad",
        "job_title": "Consultant neurologist",
        "specializations": ("neurology",),
        "qualifications": "MBBS, University of Edinburgh\nMRCP (Neurology)\nPhD, University of Oxford",
        "languages": "English, Arabic",
        "phone": "+44 20 7946 0106",
        "fee": "160.00",
        "slot_minutes": 30,
        "online": True,
        "hours": "afternoons",
        "biography": (
            "Dr Haddad treats headache, migraine and epilepsy. His doctoral research at Oxford looked at "
            "new preventive treatments for chronic migraine.",
            "He offers video consultations for follow-up appointments.",
        ),
    },
    {
        "slug": "dr-sofia-marquez",
        "name": "Dr Sofia Márquez",
        "job_title": "Consultant gynaecologist",
        "specializations": ("gynaecology",),
        "qualifications": "Licenciatura en Medicina, Universidad de Sevilla\nMRCOG",
        "languages": "English, Spanish",
        "phone": "+44 20 7946 0107",
        "fee": "130.00",
        "slot_minutes": 20,
        "online": False,
        "hours": "mornings_plus_saturday",
        "biography": (
            "Dr Márquez has a special interest in menopause care and endometriosis, and has worked in "
            "London since 2011.",
            "She runs an early-morning clinic for patients who need to be at work by nine.",
        ),
    },
    {
        "slug": "dr-daniel-osei",
        "name": "Dr Daniel Osei",
        "job_title": "Consultant ENT surgeon",
        "specializations": ("ent",),
        "qualifications": "MBChB, University of Manchester\nFRCS (ORL-HNS)",
        "languages": "English, Twi",
        "phone": "+44 20 7946 0108",
        "fee": "125.00",
        "slot_minutes": 20,
        "online": False,
        "hours": "three_days_plus_saturday",
        "biography": (
            "Mr Osei treats ear, nose and throat problems in adults and children, from glue ear to chronic sinusitis.",
            "Hearing tests are done in the same appointment, so most patients leave with an answer.",
        ),
    },
    {
        "slug": "dr-eleanor-hughes",
        "name": "Dr Eleanor Hughes",
        "job_title": "GP with a special interest in women's health",
        "specializations": ("general-practice", "gynaecology"),
        "qualifications": "MBBCh, Cardiff University\nMRCGP\nDFSRH",
        "languages": "English, Welsh",
        "phone": "+44 20 7946 0109",
        "fee": "70.00",
        "slot_minutes": 15,
        "online": True,
        "hours": "split_weekdays",
        "biography": (
            "Dr Hughes is an experienced GP who also holds the diploma of the Faculty of Sexual and "
            "Reproductive Healthcare.",
            "She fits coils and implants, and offers menopause reviews by video.",
        ),
    },
    {
        "slug": "dr-rajesh-iyer",
        "name": "Dr Rajesh Iyer",
        "job_title": "Consultant in general and cardiovascular medicine",
        "specializations": ("cardiology", "general-practice"),
        "qualifications": "MBBS, University of Mumbai\nMRCP (UK)\nCCT in General Internal Medicine and Cardiology",
        "languages": "English, Hindi, Marathi",
        "phone": "+44 20 7946 0110",
        "fee": "135.00",
        "slot_minutes": 30,
        "online": True,
        "hours": "long_days",
        "biography": (
            "Dr Iyer looks after adults with several long-term conditions at once, such as diabetes, "
            "high blood pressure and heart disease.",
            "He runs longer appointments so that everything can be reviewed in one visit.",
        ),
    },
    {
        "slug": "dr-grace-lin",
        "name": "Dr Grace Lin",
        "job_title": "Consultant paediatric dermatologist",
        "specializations": ("paediatrics", "dermatology"),
        "qualifications": "MBBS, University of Cambridge\nMRCPCH\nMRCP (Dermatology)",
        "languages": "English, Mandarin, Cantonese",
        "phone": "+44 20 7946 0111",
        "fee": "120.00",
        "slot_minutes": 30,
        "online": False,
        "hours": "afternoons",
        "biography": (
            "Dr Lin treats skin conditions in babies and children, including eczema, birthmarks and acne in teenagers.",
            "Her afternoon clinics are timed to fit around the school day.",
        ),
    },
    {
        "slug": "dr-michael-obrien",
        "name": "Dr Michael O'Brien",
        "job_title": "Consultant in sport and exercise medicine",
        "specializations": ("orthopaedics",),
        "qualifications": "MB BCh BAO, Trinity College Dublin\nMRCP (UK)\nFFSEM (UK)",
        "languages": "English, Irish",
        "phone": "+44 20 7946 0112",
        "fee": "110.00",
        "slot_minutes": 20,
        "online": True,
        "hours": "mornings_plus_saturday",
        "biography": (
            "Dr O'Brien has worked with rugby and athletics clubs for over a decade and treats sports "
            "injuries at every level.",
            "He offers video appointments to review rehabilitation progress.",
        ),
    },
    {
        "slug": "dr-fatima-begum",
        "name": "Dr Fatima Begum",
        "job_title": "General practitioner",
        "specializations": ("general-practice",),
        "qualifications": "MBBS, Queen Mary University of London\nMRCGP",
        "languages": "English, Bengali, Urdu",
        "phone": "+44 20 7946 0113",
        "fee": "65.00",
        "slot_minutes": 15,
        "online": True,
        "hours": "afternoons",
        "biography": (
            "Dr Begum is a GP with an interest in mental health and in caring for families.",
            "She consults in English, Bengali and Urdu.",
        ),
    },
    {
        "slug": "dr-lukas-schneider",
        "name": "Dr Lukas Schneider",
        "job_title": "Consultant neuro-otologist",
        "specializations": ("neurology", "ent"),
        "qualifications": "Staatsexamen Medizin, Heidelberg University\nMRCP (Neurology)",
        "languages": "English, German",
        "phone": "+44 20 7946 0114",
        "fee": "150.00",
        "slot_minutes": 30,
        "online": False,
        "hours": "three_days_plus_saturday",
        "biography": (
            "Dr Schneider specialises in dizziness, vertigo and balance disorders, which sit between "
            "neurology and ENT.",
            "Balance testing takes place during the first appointment; please allow the full half hour.",
        ),
    },
)

FEATURED_DOCTORS = ("dr-amara-okafor", "dr-james-whitfield", "dr-priya-raman", "dr-helen-carter")

# (first day, last day) as offsets from today, optional (start, end) times, and the reason.
TIME_OFF = {
    "dr-priya-raman": ((10, 14, None, None, "Annual leave"),),
    "dr-helen-carter": ((5, 5, "13:00", "17:30", "Paediatrics conference"),),
    "dr-omar-haddad": ((21, 25, None, None, "Annual leave"),),
}

# Demo accounts. The passwords are published in the README: demo databases only.
ACCOUNTS = (
    {
        "email": "admin@example.com",
        "password": "admin-demo-2026",
        "role": User.Role.STAFF,
        "first_name": "Clinic",
        "last_name": "Admin",
        "superuser": True,
    },
    {
        "email": "doctor@example.com",
        "password": "doctor-demo-2026",
        "role": User.Role.DOCTOR,
        "first_name": "Amara",
        "last_name": "Okafor",
        "doctor": "dr-amara-okafor",
    },
    {
        "email": "doctor2@example.com",
        "password": "doctor-demo-2026",
        "role": User.Role.DOCTOR,
        "first_name": "James",
        "last_name": "Whitfield",
        "doctor": "dr-james-whitfield",
    },
    {
        "email": "patient@example.com",
        "password": "patient-demo-2026",
        "role": User.Role.PATIENT,
        "first_name": "Sam",
        "last_name": "Patel",
        # libphonenumber's example UK mobile: valid, unlike Ofcom's 07700 900xxx drama range.
        "mobile": "+44 7400 123456",
    },
)


def _paragraphs(*texts: str) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def publish(page: Page) -> Page:
    """Publish the page's current state as a revision, as an editor pressing Publish would."""
    page.save_revision().publish()
    return page


def child_by_slug(parent: Page, model: type[Page], slug: str) -> Page | None:
    """The child of ``parent`` with ``slug``, as ``model``; ``None`` if there is none."""
    return model.objects.child_of(parent).filter(slug=slug).first()


class Command(BaseCommand):
    help = "Create the demo clinic: pages, doctors with hours, settings, images and demo accounts. Idempotent."

    def handle(self, *args, **options):
        # One transaction: an interrupted run leaves the database as it was, never half-seeded.
        with transaction.atomic():
            seeder = DemoSeeder(self.stdout.write, self.style)
            seeder.run()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))


class DemoSeeder:
    """Runs the seeding steps in dependency order and reports what each one did."""

    def __init__(self, write, style):
        self.write = write
        self.style = style
        self.images: dict[str, Image] = {}
        self.accounts: dict[str, User] = {}

    def report(self, what: str, created: int, existing: int) -> None:
        if created and existing:
            self.write(f"Created {created} {what} ({existing} already present)")
        elif created:
            self.write(self.style.SUCCESS(f"Created {created} {what}"))
        else:
            self.write(f"{what.capitalize()} already present")

    def run(self) -> None:
        self.seed_images()
        self.seed_accounts()
        home = self.seed_home()
        self.seed_settings(home)
        specialization_index = self.seed_index(
            home,
            SpecializationIndexPage,
            "Specializations",
            "specializations",
            _paragraphs("Eight specialities under one roof. Choose one to meet its doctors and book."),
        )
        specializations = self.seed_specializations(specialization_index)
        doctor_index = self.seed_index(
            home,
            DoctorIndexPage,
            "Doctors",
            "doctors",
            _paragraphs("Search by name or language, or filter by specialization, and book a time that suits you."),
        )
        doctors = self.seed_doctors(doctor_index, specializations)
        self.link_doctor_accounts(doctors)
        self.seed_standard_pages(home, doctor_index)
        self.seed_home_features(home, specializations, doctors)

    # --- Images -----------------------------------------------------------------------------

    def seed_images(self) -> None:
        """Generate every illustration the pages use; an image whose title exists is reused."""
        wanted = {"hero": ("Hero: Riverside Clinic", "Riverside Clinic", demo_images.hero_image)}
        wanted["about"] = (
            "Banner: About Riverside Clinic",
            "Abstract illustration in the clinic's colours",
            lambda: demo_images.banner_image("about", "petals"),
        )
        for spec in SPECIALIZATIONS:
            wanted[spec["slug"]] = (
                f"Banner: {spec['title']}",
                f"Illustration for {spec['title']}",
                lambda spec=spec: demo_images.banner_image(spec["slug"], spec["motif"]),
            )
        for doctor in DOCTORS:
            wanted[doctor["slug"]] = (
                f"Portrait: {doctor['name']}",
                f"Illustrated portrait of {doctor['name']}",
                lambda doctor=doctor: demo_images.portrait_image(doctor["name"]),
            )
        created = 0
        collection = None
        for key, (title, description, draw) in wanted.items():
            image = Image.objects.filter(title=title).first()
            if image is None:
                collection = collection or self.image_collection()
                image = self.save_image(title, description, draw(), collection)
                created += 1
            self.images[key] = image
        self.report("images", created, len(wanted) - created)

    @staticmethod
    def image_collection() -> Collection:
        root = Collection.get_first_root_node()
        existing = root.get_children().filter(name=IMAGE_COLLECTION).first()
        return existing or root.add_child(name=IMAGE_COLLECTION)

    @staticmethod
    def save_image(title: str, description: str, data: bytes, collection: Collection) -> Image:
        image = Image(
            title=title,
            description=description,
            collection=collection,
            file=ImageFile(BytesIO(data), name=f"{slugify(title)}.jpg"),
            file_size=len(data),
            file_hash=hash_filelike(BytesIO(data)),
        )
        image.save()
        return image

    # --- Accounts ---------------------------------------------------------------------------

    def seed_accounts(self) -> None:
        """One account per role. Passwords are set only on creation, never reset."""
        created = 0
        for account in ACCOUNTS:
            user = User.objects.filter(email=account["email"]).first()
            if user is None:
                user = self.create_account(account)
                created += 1
            # Mandatory email verification: without a verified address the demo logins would stall.
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            if user.requires_strong_auth:  # second factor required: an authenticator app with the README's key
                enrol_totp(user, DEMO_TOTP_SECRET)
            self.accounts[account["email"]] = user
        self.report("demo accounts", created, len(ACCOUNTS) - created)

    @staticmethod
    def create_account(account: dict) -> User:
        fields = {
            "role": account["role"],
            "first_name": account["first_name"],
            "last_name": account["last_name"],
            "mobile": normalize_phone(account["mobile"]) if account.get("mobile") else "",
        }
        if account.get("superuser"):
            user = User.objects.create_superuser(account["email"], account["password"], **fields)
        else:
            is_staff = account["role"] == User.Role.STAFF
            user = User.objects.create_user(account["email"], account["password"], is_staff=is_staff, **fields)
        user.groups.add(group_for_role(account["role"]))
        return user

    # --- Home page and site -----------------------------------------------------------------

    def seed_home(self) -> HomePage:
        """Put a HomePage at the default Site's root in place of Wagtail's welcome page."""
        home = HomePage.objects.first()
        if home is not None:
            self.write("Home page already present")
        root = Page.get_first_root_node()
        site = Site.objects.filter(is_default_site=True).first()
        welcome = Page.objects.child_of(root).filter(title=WELCOME_TITLE, content_type__model="page").first()
        if welcome is not None and welcome.get_children().exists():
            welcome = None  # someone built on it: not the untouched default page any more.
        if home is None:
            if welcome is not None and site is not None and site.root_page_id == welcome.pk:
                # Sites cascade with their root page: park the site on the tree root meanwhile.
                site.root_page = root
                site.save()
            if welcome is not None:
                welcome.delete()
                welcome = None
                self.write("Removed Wagtail's default welcome page")
            home = self.create_home(root)
        if site is None:
            site = Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=CLINIC["name"]
            )
            self.write("Created the default site")
        elif site.root_page_id != home.pk:
            site.root_page = home
            site.site_name = site.site_name or CLINIC["name"]
            site.save()
            self.write("Pointed the default site at the home page")
        if welcome is not None and not Site.objects.filter(root_page=welcome).exists():
            welcome.delete()
            self.write("Removed Wagtail's default welcome page")
        return home

    def create_home(self, root: Page) -> HomePage:
        fields = {key: value for key, value in HOME.items() if key != "intro"}
        home = HomePage(**fields, intro=HOME["intro"], hero_image=self.images["hero"])
        root.add_child(instance=home)
        self.write(self.style.SUCCESS("Created the home page"))
        return publish(home)

    def seed_settings(self, home: HomePage) -> None:
        """Fill in the clinic's details; fields staff have already filled in are left alone."""
        site = Site.objects.get(root_page=home, is_default_site=True)
        settings = ClinicSettings.for_site(site)
        changed = [field for field, value in CLINIC.items() if not getattr(settings, field)]
        for field in changed:
            value = CLINIC[field]
            setattr(settings, field, normalize_phone(value) if field == "phone" else value)
        if changed:
            settings.save()
            self.write(self.style.SUCCESS(f"Filled in clinic settings: {', '.join(changed)}"))
        else:
            self.write("Clinic settings already present")

    def seed_index(self, home: HomePage, model: type[Page], title: str, slug: str, intro: str) -> Page:
        page = child_by_slug(home, model, slug)
        if page is not None:
            self.write(f"{title} index already present")
            return page
        page = model(title=title, slug=slug, intro=intro, show_in_menus=True)
        home.add_child(instance=page)
        self.write(self.style.SUCCESS(f"Created the {title} index"))
        return publish(page)

    # --- Specializations --------------------------------------------------------------------

    def seed_specializations(self, index: SpecializationIndexPage) -> dict[str, SpecializationPage]:
        pages, created = {}, 0
        for spec in SPECIALIZATIONS:
            page = child_by_slug(index, SpecializationPage, spec["slug"])
            if page is None:
                page = self.create_specialization(index, spec)
                created += 1
            pages[spec["slug"]] = page
        self.report("specializations", created, len(SPECIALIZATIONS) - created)
        return pages

    def create_specialization(self, index: SpecializationIndexPage, spec: dict) -> SpecializationPage:
        page = SpecializationPage(
            title=spec["title"],
            slug=spec["slug"],
            summary=spec["summary"],
            search_description=spec["summary"],
            description=spec["description"],
            image=self.images[spec["slug"]],
            conditions=[("condition", condition) for condition in spec["conditions"]],
        )
        index.add_child(instance=page)
        return publish(page)

    # --- Doctors ----------------------------------------------------------------------------

    def seed_doctors(
        self, index: DoctorIndexPage, specializations: dict[str, SpecializationPage]
    ) -> dict[str, DoctorPage]:
        pages, created = {}, 0
        for doctor in DOCTORS:
            page = child_by_slug(index, DoctorPage, doctor["slug"])
            if page is None:
                page = self.create_doctor(index, doctor, specializations)
                created += 1
            pages[doctor["slug"]] = page
        self.report("doctors", created, len(DOCTORS) - created)
        return pages

    def create_doctor(
        self, index: DoctorIndexPage, doctor: dict, specializations: dict[str, SpecializationPage]
    ) -> DoctorPage:
        """A doctor with hours, time off and specializations, all in the first published revision."""
        page = DoctorPage(
            title=doctor["name"],
            slug=doctor["slug"],
            search_description=f"{doctor['name']}, {doctor['job_title'].lower()} at {CLINIC['name']}.",
            photo=self.images[doctor["slug"]],
            job_title=doctor["job_title"],
            biography=_paragraphs(*doctor["biography"]),
            qualifications=doctor["qualifications"],
            languages=doctor["languages"],
            phone=normalize_phone(doctor["phone"]),
            consultation_fee=Decimal(doctor["fee"]),
            slot_minutes=doctor["slot_minutes"],
            offers_online=doctor["online"],
            user=self.unlinked_account_for(doctor["slug"]),
        )
        for order, slug in enumerate(doctor["specializations"]):
            page.specialization_links.add(DoctorSpecialization(specialization=specializations[slug], sort_order=order))
        for order, hours in enumerate(working_hours(doctor["hours"])):
            hours.sort_order = order
            page.working_hours.add(hours)
        for order, time_off in enumerate(time_off_for(doctor["slug"])):
            time_off.sort_order = order
            page.time_off.add(time_off)
        index.add_child(instance=page)
        return publish(page)

    def unlinked_account_for(self, doctor_slug: str) -> User | None:
        """The demo doctor account meant for this page, unless it already has a page of its own."""
        for account in ACCOUNTS:
            if account.get("doctor") == doctor_slug:
                user = self.accounts[account["email"]]
                if user.role == User.Role.DOCTOR and not DoctorPage.objects.filter(user=user).exists():
                    return user
        return None

    def link_doctor_accounts(self, doctors: dict[str, DoctorPage]) -> None:
        """Link demo doctor accounts to existing pages that have no account yet (new pages got theirs)."""
        linked = 0
        for slug, page in doctors.items():
            user = self.unlinked_account_for(slug)
            if user is not None and page.user_id is None:
                page.user = user
                publish(page)
                linked += 1
        if linked:
            self.write(self.style.SUCCESS(f"Linked {linked} doctor accounts to their pages"))
        else:
            self.write("Doctor accounts already linked")

    # --- About and contact ------------------------------------------------------------------

    def seed_standard_pages(self, home: HomePage, doctor_index: DoctorIndexPage) -> None:
        pages = (
            ("About", "about", "Independent, doctor-led care on the south bank since 1998.", self.about_body),
            ("Contact", "contact", "How to reach us, when we are open, and how to find us.", self.contact_body),
        )
        for title, slug, intro, body in pages:
            if child_by_slug(home, StandardPage, slug) is not None:
                self.write(f"{title} page already present")
                continue
            page = StandardPage(
                title=title,
                slug=slug,
                intro=intro,
                search_description=intro,
                body=body(doctor_index),
                show_in_menus=True,
            )
            home.add_child(instance=page)
            publish(page)
            self.write(self.style.SUCCESS(f"Created the {title} page"))

    def about_body(self, doctor_index: DoctorIndexPage) -> list[tuple[str, object]]:
        return [
            ("heading", "Doctor-led, and proud of it"),
            (
                "paragraph",
                RichText(
                    _paragraphs(
                        "Riverside Clinic was founded in 1998 by two GPs who wanted to give patients more "
                        "time. Today fourteen doctors across eight specializations work here, but the idea is "
                        "the same: <b>unhurried appointments with the right doctor, first time</b>.",
                        "We are an independent clinic, owned and run by the doctors who work in it. We are "
                        "registered with the Care Quality Commission, and every doctor is on the GMC's "
                        "specialist or GP register.",
                    )
                ),
            ),
            (
                "image",
                {"image": self.images["about"], "decorative": True, "alt_text": ""},
            ),
            ("heading", "What to expect"),
            (
                "paragraph",
                RichText(
                    "<ul>"
                    "<li>Appointments that start on time, and a doctor who has read your notes.</li>"
                    "<li>Blood tests, ECGs, X-rays and ultrasound on site, often on the same day.</li>"
                    "<li>Clear prices, shown before you book. No hidden extras.</li>"
                    "<li>Video consultations with many of our doctors, for follow-ups and advice.</li>"
                    "</ul>"
                ),
            ),
            (
                "quote",
                "I was seen on time, listened to properly and left with a plan. That is all I wanted. "
                "(A patient, 2025)",
            ),
            ("call_to_action", {"text": "Meet our doctors", "page": doctor_index}),
        ]

    def contact_body(self, doctor_index: DoctorIndexPage) -> list[tuple[str, object]]:
        address = "<br/>".join(CLINIC["address"].splitlines())
        hours = "".join(f"<li>{line}</li>" for line in CLINIC["opening_hours"].splitlines())
        return [
            ("heading", "Visit us"),
            ("paragraph", RichText(f"<p>{address}</p>")),
            (
                "paragraph",
                RichText(
                    f'<p>Telephone: <a href="tel:{normalize_phone(CLINIC["phone"])}">{CLINIC["phone"]}</a><br/>'
                    f'Email: <a href="mailto:{CLINIC["email"]}">{CLINIC["email"]}</a></p>'
                ),
            ),
            ("heading", "Opening hours"),
            ("paragraph", RichText(f"<ul>{hours}</ul>")),
            ("heading", "Getting here"),
            (
                "paragraph",
                RichText(
                    _paragraphs(
                        "We are a five-minute walk from London Bridge station. Step-free access is via the "
                        "Wharf Street entrance, and there is a lift to every floor.",
                        "There is no parking at the clinic; the nearest car park is on Tooley Street.",
                    )
                ),
            ),
            (
                "quote",
                "In an emergency call 999. For urgent advice when we are closed, call NHS 111.",
            ),
            ("call_to_action", {"text": "Book an appointment", "page": doctor_index}),
        ]

    # --- Home page features -----------------------------------------------------------------

    def seed_home_features(
        self, home: HomePage, specializations: dict[str, SpecializationPage], doctors: dict[str, DoctorPage]
    ) -> None:
        """Feature six specializations and four doctors, unless staff have already chosen some."""
        changed = False
        if not home.featured_specializations.exists():
            for order, slug in enumerate(FEATURED_SPECIALIZATIONS):
                home.featured_specializations.add(
                    HomePageFeaturedSpecialization(page=specializations[slug], sort_order=order)
                )
            changed = True
        if not home.featured_doctors.exists():
            for order, slug in enumerate(FEATURED_DOCTORS):
                home.featured_doctors.add(HomePageFeaturedDoctor(page=doctors[slug], sort_order=order))
            changed = True
        if changed:
            home.save()
            publish(home)
            self.write(self.style.SUCCESS("Featured specializations and doctors on the home page"))
        else:
            self.write("Home page features already present")


def working_hours(pattern: str) -> list[WorkingHours]:
    """Unsaved WorkingHours rows for one of ``HOURS_PATTERNS``."""
    return [
        WorkingHours(weekday=weekday, starts=_time(starts), ends=_time(ends))
        for weekdays, intervals in HOURS_PATTERNS[pattern]
        for weekday in weekdays
        for starts, ends in intervals
    ]


def time_off_for(doctor_slug: str) -> list[TimeOff]:
    """Unsaved TimeOff rows placed relative to today, so the demo always has upcoming leave."""
    today = timezone.localdate(timezone=clinic_zone())
    return [
        TimeOff(
            start_date=today + timedelta(days=first),
            end_date=today + timedelta(days=last),
            start_time=_time(starts),
            end_time=_time(ends),
            reason=reason,
        )
        for first, last, starts, ends, reason in TIME_OFF.get(doctor_slug, ())
    ]
