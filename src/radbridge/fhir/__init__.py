"""The FHIR R4 API: the clinical record mapped to FHIR resources, searched and read over
REST (`/fhir/`), a few writes, HL7 v2 to FHIR conversion and webhook subscriptions."""
