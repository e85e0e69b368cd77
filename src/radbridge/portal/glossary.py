"""Plain-language explanations of words patients meet in radiology reports.

The study page shows a patient the terms that appear in their own report, each with a short
explanation written for someone with no medical training. Matching is on whole words,
case-insensitive, with simple plural and adjective forms listed as variants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    word: str
    meaning: str
    variants: tuple[str, ...] = ()


TERMS = (
    Term("impression", "The radiologist's summary and conclusion: the most important part "
         "of the report."),
    Term("findings", "What the radiologist saw on the images, described part by part."),
    Term("unremarkable", "Normal: nothing of concern was seen."),
    Term("acute", "Recent or sudden, as opposed to long-standing."),
    Term("chronic", "Long-standing, present for some time."),
    Term("benign", "Not cancer and not likely to spread."),
    Term("malignant", "Cancerous: able to grow and spread."),
    Term("lesion", "A general word for an area that looks different from the tissue "
         "around it. It does not by itself mean something serious.", ("lesions",)),
    Term("nodule", "A small round spot or lump. Most are harmless; some need a follow-up "
         "scan.", ("nodules", "nodular")),
    Term("mass", "A lump larger than a nodule; more tests often tell what it is.",
         ("masses",)),
    Term("cyst", "A small sac filled with fluid, usually harmless.", ("cysts", "cystic")),
    Term("opacity", "An area that looks whiter than expected on an X-ray or CT, for "
         "example from fluid or inflammation.", ("opacities",)),
    Term("consolidation", "Part of the lung filled with fluid or other material instead "
         "of air, as in pneumonia."),
    Term("effusion", "Extra fluid collected around an organ, such as the lungs or a joint.",
         ("effusions",)),
    Term("atelectasis", "A small part of the lung that is not fully inflated."),
    Term("edema", "Swelling caused by extra fluid in the tissues.", ("oedema",)),
    Term("fracture", "A broken bone, including a small crack.", ("fractures",)),
    Term("stenosis", "A narrowing of a tube in the body, such as a blood vessel or the "
         "spinal canal."),
    Term("calcification", "A small deposit of calcium; common and often harmless.",
         ("calcifications", "calcified")),
    Term("degenerative", "Wear and tear that comes with age or use."),
    Term("hernia", "Tissue pushing through a weak spot in the muscle or wall around it.",
         ("herniation",)),
    Term("inflammation", "The body's reaction to injury or infection: swelling, redness, "
         "heat.", ("inflammatory",)),
    Term("metastasis", "Cancer that has spread from where it started to another part of "
         "the body.", ("metastases", "metastatic")),
    Term("lymph node", "Small bean-shaped glands that help fight infection; they can swell "
         "when the body is fighting something.", ("lymph nodes",)),
    Term("contrast", "A dye given before or during the scan so some parts show up more "
         "clearly."),
    Term("bilateral", "On both sides of the body."),
    Term("anterior", "Towards the front of the body."),
    Term("posterior", "Towards the back of the body."),
    Term("follow-up", "Another test or visit later on, to check whether anything changed."),
    Term("incidental", "Found by chance, not related to the reason for the scan.",
         ("incidentally", "incidentaloma")),
)


def _pattern(term: Term) -> re.Pattern:
    words = sorted((term.word, *term.variants), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


_PATTERNS = [(term, _pattern(term)) for term in TERMS]


def terms_in(text: str) -> list[Term]:
    """The glossary terms found in a report's text, in glossary order, each once."""
    if not text:
        return []
    return [term for term, pattern in _PATTERNS if pattern.search(text)]
