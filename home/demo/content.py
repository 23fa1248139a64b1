"""The demo clinic's words and numbers: everything ``seed_demo`` puts on the site, and nothing else.

Pure data, kept apart from the code that builds pages (``home.demo.pages``) and the booking-side
rows (``booking.demo``) so that the copy can be read and edited without wading through page-tree
mechanics, and so that changing a doctor's biography cannot break idempotency by accident.

Slugs, emails and image keys are the natural keys the seeders look things up by: renaming one
makes the next run create a second object next to the old one, so change them deliberately.

Hours patterns, time off and accounts are described here too, as plain tuples and strings; the
booking models they become are built in ``booking.demo``. This module imports no booking code,
like the rest of ``home``.
"""

from __future__ import annotations

from typing import Any

from portal.models import User

# Records are plain dicts (read by key in the seeders); ``Any`` values keep them easy to edit.
Record = dict[str, Any]

CLINIC: Record = {
    "name": "Riverside Clinic",
    "tagline": "Private GP and specialist care on the river, open six days a week",
    "address": "Riverside Clinic\n12 Wharf Street\nLondon\nSE1 9XY",
    "phone": "+44 20 7946 0100",
    "email": "hello@riverside-clinic.example",
    "opening_hours": "Mon–Fri 08:00–19:00\nSaturday 09:00–13:00\nSunday and bank holidays closed",
}

HOME: Record = {
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

# Each pattern is a tuple of (weekdays, intervals). Monday is 0, as in booking.models.Weekday;
# ``booking.demo`` turns a pattern into WorkingHours rows.
WEEKDAYS = (0, 1, 2, 3, 4)
HOURS_PATTERNS: dict[str, Any] = {
    "split_weekdays": ((WEEKDAYS, (("09:00", "12:30"), ("13:30", "17:00"))),),
    "mornings_plus_saturday": ((WEEKDAYS, (("08:30", "12:30"),)), ((5,), (("09:00", "12:00"),))),
    "long_days": (((0, 1, 3), (("08:00", "13:00"), ("14:00", "19:00"))),),
    "afternoons": ((WEEKDAYS, (("13:00", "18:00"),)),),
    "three_days_plus_saturday": (((1, 2, 4), (("09:00", "12:00"), ("13:00", "16:30"))), ((5,), (("09:00", "12:30"),))),
}

# ``motif`` picks the pattern of the generated banner (see ``home.demo.images``).
SPECIALIZATIONS: tuple[Record, ...] = (
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

# In page order. ``specializations`` are slugs from above, ``hours`` names one of HOURS_PATTERNS, and
# ``fee`` is a string so that it becomes an exact Decimal.
DOCTORS: tuple[Record, ...] = (
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
TIME_OFF: dict[str, Any] = {
    "dr-priya-raman": ((10, 14, None, None, "Annual leave"),),
    "dr-helen-carter": ((5, 5, "13:00", "17:30", "Paediatrics conference"),),
    "dr-omar-haddad": ((21, 25, None, None, "Annual leave"),),
}

# Bank holidays the clinic closes on, as (month, day, reason); ``booking.demo`` creates them for
# this year and the next, so the footer's "bank holidays closed" is true in the diary too.
CLOSED_DAYS = ((12, 25, "Christmas Day"), (12, 26, "Boxing Day"), (1, 1, "New Year's Day"))

# Demo accounts. The passwords are published in the README: demo databases only, which is why
# ``seed_demo`` refuses to run when DEBUG is off unless told ``--allow-production``.
ACCOUNTS: tuple[Record, ...] = (
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

# The two index pages under the home page; ``intro`` is rich text.
SPECIALIZATION_INDEX: Record = {
    "title": "Specializations",
    "slug": "specializations",
    "intro": "<p>Eight specialities under one roof. Choose one to meet its doctors and book.</p>",
}

DOCTOR_INDEX: Record = {
    "title": "Doctors",
    "slug": "doctors",
    "intro": "<p>Search by name or language, or filter by specialization, and book a time that suits you.</p>",
}

# The About and Contact pages. Each ``body`` entry is (kind, value), turned into StandardPage
# StreamField blocks by ``home.demo.pages``:
#   heading         plain text
#   paragraphs      texts, one <p> each, in one rich-text block
#   bullets         texts, one <li> each, in one rich-text list
#   lines           texts joined by line breaks in one paragraph (a postal address)
#   contact_details {"phone", "email"}, shown as tel: and mailto: links
#   image           key of a generated image, shown as decoration
#   quote           plain text
#   call_to_action  button text; the button leads to the Doctors index
STANDARD_PAGES: tuple[Record, ...] = (
    {
        "title": "About",
        "slug": "about",
        "intro": "Independent, doctor-led care on the south bank since 1998.",
        "body": (
            ("heading", "Doctor-led, and proud of it"),
            (
                "paragraphs",
                (
                    "Riverside Clinic was founded in 1998 by two GPs who wanted to give patients more "
                    "time. Today fourteen doctors across eight specializations work here, but the idea is "
                    "the same: <b>unhurried appointments with the right doctor, first time</b>.",
                    "We are an independent clinic, owned and run by the doctors who work in it. We are "
                    "registered with the Care Quality Commission, and every doctor is on the GMC's "
                    "specialist or GP register.",
                ),
            ),
            ("image", "about"),
            ("heading", "What to expect"),
            (
                "bullets",
                (
                    "Appointments that start on time, and a doctor who has read your notes.",
                    "Blood tests, ECGs, X-rays and ultrasound on site, often on the same day.",
                    "Clear prices, shown before you book. No hidden extras.",
                    "Video consultations with many of our doctors, for follow-ups and advice.",
                ),
            ),
            (
                "quote",
                "I was seen on time, listened to properly and left with a plan. That is all I wanted. "
                "(A patient, 2025)",
            ),
            ("call_to_action", "Meet our doctors"),
        ),
    },
    {
        "title": "Contact",
        "slug": "contact",
        "intro": "How to reach us, when we are open, and how to find us.",
        "body": (
            ("heading", "Visit us"),
            ("lines", tuple(CLINIC["address"].splitlines())),
            ("contact_details", {"phone": CLINIC["phone"], "email": CLINIC["email"]}),
            ("heading", "Opening hours"),
            ("bullets", tuple(CLINIC["opening_hours"].splitlines())),
            ("heading", "Getting here"),
            (
                "paragraphs",
                (
                    "We are a five-minute walk from London Bridge station. Step-free access is via the "
                    "Wharf Street entrance, and there is a lift to every floor.",
                    "There is no parking at the clinic; the nearest car park is on Tooley Street.",
                ),
            ),
            ("quote", "In an emergency call 999. For urgent advice when we are closed, call NHS 111."),
            ("call_to_action", "Book an appointment"),
        ),
    },
)
