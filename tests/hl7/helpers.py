"""Small builders for test messages, written like a RIS would write them."""

from datetime import datetime

SEGMENT_END = "\r"


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment from {field number: value}, so no one counts pipes by hand."""
    values = [""] * max(fields)
    for number, value in fields.items():
        values[number - 1] = value
    return "|".join([name, *values])


def message(*segments: str) -> str:
    return SEGMENT_END.join(segments) + SEGMENT_END


def msh(
    message_type: str,
    control_id: str,
    *,
    app: str = "RIS",
    facility: str = "MERCY",
    version: str = "2.5.1",
    enhanced: bool = False,
) -> str:
    tail = "|||AL|NE" if enhanced else ""
    stamp = datetime(2026, 1, 14, 9, 35, 12).strftime("%Y%m%d%H%M%S")
    return (
        f"MSH|^~\\&|{app}|{facility}|RADBRIDGE|CENTRE|{stamp}||{message_type}|{control_id}"
        f"|P|{version}{tail}"
    )


def pid(
    mrn: str = "MRN100",
    family: str = "DOE",
    given: str = "JANE",
    dob: str = "19640312",
    sex: str = "F",
    authority: str = "MERCY",
) -> str:
    return (
        f"PID|1||{mrn}^^^{authority}^MR||{family}^{given}^Q||{dob}|{sex}|||"
        "1428 ELM ST^APT 4B^SPRINGFIELD^IL^62704^USA||(217)555-0142"
    )


def orm(
    control_id: str,
    accession: str,
    *,
    mrn: str = "MRN100",
    control: str = "NW",
    priority: str = "R",
    procedure: str = "CTCHEST^CT CHEST WITH CONTRAST^L",
    status: str = "SC",
    **msh_options,
) -> str:
    return message(
        msh("ORM^O01", control_id, **msh_options),
        pid(mrn),
        "PV1|1|O|RAD^CT1^01^MERCY",
        f"ORC|{control}|PL{accession}^EPIC|{accession}^RIS||{status}||^^^20260114081500^^{priority}"
        "||20260114080000|||1234567^SMITH^ROBERT^A^^DR^MD",
        segment(
            "OBR",
            {
                1: "1",
                2: f"PL{accession}^EPIC",
                3: f"{accession}^RIS",
                4: procedure,
                7: "20260114081500",
                16: "1234567^SMITH^ROBERT^A^^DR^MD",
                18: accession,
                24: "CT",
                27: f"^^^20260114081500^^{priority}",
            },
        ),
    )


def oru(
    control_id: str,
    accession: str,
    text_lines: list[str],
    *,
    status: str = "F",
    mrn: str = "MRN100",
    **msh_options,
) -> str:
    observations = [
        f"OBX|{n}|TX|CTCHEST^CT CHEST^L|{n}|{line}||||||{status}"
        for n, line in enumerate(text_lines, start=1)
    ]
    return message(
        msh("ORU^R01", control_id, **msh_options),
        pid(mrn),
        segment(
            "OBR",
            {
                1: "1",
                2: f"PL{accession}^EPIC",
                3: f"{accession}^RIS",
                4: "CTCHEST^CT CHEST WITH CONTRAST^L",
                7: "20260114081500",
                18: accession,
                22: "20260114093500",
                24: "CT",
                25: status,
                32: "7654321&WONG&LISA&&&DR&MD",
            },
        ),
        *observations,
    )
