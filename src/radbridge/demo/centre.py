"""A small, realistic demo centre written as the HL7 a RIS would send.

Three sites, patients, orders of every modality over the last two weeks (some STAT),
preliminary and final reports, a correction, appointments, an identifier merge, and two
status updates sent before their order (they fail, and apply when replayed from the
interface monitor): the same messages a real integration produces, so the demo exercises
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
    "Núñez",
    "Łukasik",
    "Ó Súilleabháin",
    "Ørsted",
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
    "Zoë",
    "Björn",
    "Aoife",
    "Renée",
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
    ("4567890", "GARCÍA-LÓPEZ", "MARÍA"),
    ("5678901", "LEFÈVRE", "HÉLÈNE"),
]
# The centre's sites (code, name) and which modalities each has; rooms are "<site>-<modality>".
SITES = [
    ("HARBOUR", "Harbour Road Imaging", ("CT", "MR", "CR", "US")),
    ("ILEVERTE", "Île-Verte Radiologie", ("CT", "CR", "MG")),
    ("NORREBRO", "Nørrebro Scan Centre", ("MR", "US", "MG", "CR")),
]
DAYS = 14  # orders spread over the last two weeks
EARLY_STATUS_FOR = (7, 11)  # patients whose order gets a status update before it arrives
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


def name_of(number: int) -> tuple[str, str]:
    """(family, given): every pairing differs for the first 380 patients."""
    return FAMILIES[number % len(FAMILIES)], GIVENS[(number * 3 + number // 20) % len(GIVENS)]


def rooms() -> list[tuple[str, str, str]]:
    """(site code, room code, room name) of every room of the demo centre."""
    return [(code, f"{code}-{modality}", f"{modality} room, {name}")
            for code, name, modalities in SITES for modality in modalities]


def room_for(modality: str, rng: random.Random) -> str:
    return rng.choice([room for _, room, _ in rooms() if room.endswith(f"-{modality}")])


def early_status(number: int, accession: str, patient: str, now: datetime) -> list[str]:
    """A status update sent before its order (a RIS interface that races itself): no order
    has that accession yet, so it fails; replayed once the order is in, it applies."""
    return [msh("ORM^O01", f"DEMO-EARLY{number}", now), patient,
            f"ORC|SC|P{accession}|{accession}||IP"]


def demo_messages(patients: int = 36, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    now = datetime.now().replace(microsecond=0)
    messages, counter = [], 0

    def add(kind: str, *segments: str) -> None:
        nonlocal counter
        counter += 1
        messages.append("\r".join([msh(kind, f"DEMO{counter:05d}", now), *segments]) + "\r")

    def add_early_status(number: int, patient: str) -> None:
        messages.append("\r".join(early_status(number, f"DEMO{number:05d}", patient, now)) + "\r")

    for number in range(1, patients + 1):
        family, given = name_of(number)
        birth = f"{rng.randint(1940, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        patient = pid(number, family, given, birth, rng.choice("FM"))
        add("ADT^A04", "EVN|A04", patient, "PV1|1|O")
        modality, code, text, impression = rng.choice(PROCEDURES)
        accession = f"DEMO{number:05d}"
        doctor = "^".join(rng.choice(PHYSICIANS)) + "^^^DR^MD"
        priority = "S" if number % 4 == 0 else "R"
        when = now - timedelta(hours=rng.randint(1, DAYS * 24 - 1))
        obr = (
            f"OBR|1|P{accession}|{accession}|{code}^{text}^L|||{hl7_time(when)}|||||||||"
            f"{doctor}||{accession}||||{{status_time}}||{modality}|{{status}}||"
            f"^^^{hl7_time(when)}^^{priority}||||^Clinical indication {number}|{RADIOLOGIST}"
        )
        room = room_for(modality, rng)
        if number in EARLY_STATUS_FOR:
            add_early_status(number, patient)
        add(
            "ORM^O01",
            patient,
            f"PV1|1|O|{room}^^^DEMO",
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
            f"AIL|1||{room}^{modality} room",
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
    add("ADT^A40", pid(1, *name_of(1), "19700101", "F"), "MRG|MRN09999^^^DEMO")
    return messages
