"""Converters from HL7 v2 to other formats, plugged in by the apps that own those formats.

The hl7 app cannot import the apps above it (the fhir app maps to FHIR), so they register
their converter here from their `ready()`, and `radbridge hl7 to-fhir FILE` finds it by
name. A converter takes the raw bytes of a message (or batch) and returns the text to print
and the warnings to show; it stores nothing and raises HL7Error for input it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable

Converter = Callable[[bytes], tuple[str, list[str]]]
_converters: dict[str, Converter] = {}


def register_converter(name: str, converter: Converter) -> None:
    _converters[name] = converter


def converter(name: str) -> Converter | None:
    return _converters.get(name)
