"""A small, realistic demo centre written as the HL7 a RIS would send.

Patients, orders (some STAT), preliminary and final reports, a correction, appointments and
an identifier merge: the same messages a real integration produces, so the demo exercises
the real interface rather than writing to the database behind its back.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

FAMILIES = [
    "Garcia",
    "Nguyen",
    "Okafor",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Johansson",
    "O'Brien",
    "Haddad",
    "Novak",
    "Andersen",
    "Costa",
    "Ivanova",
]
GIVENS = [
    "Ana",
    "Minh",
    "Chidi",
    "Jürgen",
    "Giulia",
    "Chloé",
    "Piotr",
    "Yuki",
    "João",
    "Sofia",
    "Liam",
    "Layla",
    "Eva",
    "Mads",
    "Inês",
    "Olga",
]
PROCEDURES = [
    ("CT", "CTCHEST", "CT chest with contrast", "No pulmonary embolism. Lungs clear."),
    ("MR", "MRBRAIN", "MR brain without contrast", "No acute intracranial abnormality."),
    ("CR", "XRCHEST", "X-ray chest PA and lateral", "No focal consolidation."),
    ("US", "USABD", "Ultrasound abdomen", "Normal liver, gallbladder and kidneys."),
    ("MG", "MAMMO", "Screening mammogram", "BI-RADS 1: negative."),
]
PHYSICIANS = [
    ("1234567", "SMITH", "ROBERT"),
    ("2345678", "WONG", "LISA"),
    ("3456789", "ADEYEMI", "TUNDE"),
]
RADIOLOGIST = "7654321&KARLSSON&INGRID&&&DR&MD"


def hl7_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def msh(kind: str, control_id: str, now: datetime) -> str:
    return (
        f"MSH|^~\\&|DEMO_RIS|DEMO_CENTRE|RADBRIDGE|DEMO|{hl7_time(now)}||{kind}|{control_id}"
        "|P|2.5.1|||||||UNICODE UTF-8"
    )


def pid(number: int, family: str, given: str, birth: str, sex: str) -> str:
    return (
        f"PID|1||MRN{number:05d}^^^DEMO^MR||{family}^{given}||{birth}|{sex}|||"
        f"{10 + number} Harbour Road^^Springfield^IL^62704^USA||(217)555-{number:04d}^PRN^PH"
        f"~^NET^Internet^{given.lower()}.{number}@example.org"
    )


def demo_messages(patients: int = 12, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    now = datetime.now().replace(microsecond=0)
    messages, counter = [], 0

    def add(kind: str, *segments: str) -> None:
        nonlocal counter
        counter += 1
        messages.append("\r".join([msh(kind, f"DEMO{counter:05d}", now), *segments]) + "\r")

    for number in range(1, patients + 1):
        family, given = FAMILIES[number % len(FAMILIES)], GIVENS[number % len(GIVENS)]
        birth = f"{rng.randint(1940, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        patient = pid(number, family, given, birth, rng.choice("FM"))
        add("ADT^A04", "EVN|A04", patient, "PV1|1|O")
        modality, code, text, impression = rng.choice(PROCEDURES)
        accession = f"DEMO{number:05d}"
        doctor = "^".join(rng.choice(PHYSICIANS)) + "^^^DR^MD"
        priority = "S" if number % 4 == 0 else "R"
        when = now - timedelta(hours=rng.randint(1, 72))
        obr = (
            f"OBR|1|P{accession}|{accession}|{code}^{text}^L|||{hl7_time(when)}|||||||||"
            f"{doctor}||{accession}||||{{status_time}}||{modality}|{{status}}||"
            f"^^^{hl7_time(when)}^^{priority}||||^Clinical indication {number}|{RADIOLOGIST}"
        )
        add(
            "ORM^O01",
            patient,
            "PV1|1|O|CT1^^^DEMO",
            f"ORC|NW|P{accession}|{accession}||SC||^^^{hl7_time(when)}^^{priority}||"
            f"{hl7_time(now)}|||{doctor}",
            obr.format(status="", status_time=""),
        )
        add(
            "SIU^S12",
            f"SCH|A{accession}|A{accession}|||||^{text}|||20|min|^^^{hl7_time(when)}"
            "||||||||||||||Booked",
            patient,
            f"AIS|1||{code}^{text}^L|{hl7_time(when)}|||20|min",
            f"AIL|1||{modality}1^{modality} room 1",
        )
        if number % 3 == 0:
            continue  # still waiting for its report
        report_time = hl7_time(when + timedelta(hours=2))
        status = "P" if number % 5 == 0 else "F"
        add(
            "ORU^R01",
            patient,
            obr.format(status=status, status_time=report_time),
            f"OBX|1|TX|{code}^{text}^L|1|EXAM: {text}.||||||{status}",
            f"OBX|2|TX|{code}^{text}^L|2|IMPRESSION: {impression}||||||{status}",
        )
        if number == 2:
            add(
                "ORU^R01",
                patient,
                obr.format(status="C", status_time=report_time),
                f"OBX|1|TX|{code}^{text}^L|1|IMPRESSION (corrected): {impression} "
                "Small incidental finding, no follow-up needed.||||||C",
            )
    add("ADT^A40", pid(1, FAMILIES[1], GIVENS[1], "19700101", "F"), "MRG|MRN09999^^^DEMO")
    return messages
