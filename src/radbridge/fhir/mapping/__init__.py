"""Clinical values to FHIR R4 resources, one module per resource, following the HL7
V2-to-FHIR mappings (PID → Patient, ORC/OBR → ServiceRequest, OBR/OBX → DiagnosticReport,
SCH/AIL/AIP → Appointment).

The functions read attributes, not tables: the same function maps a stored record
(`clinical.models.Order`) for the REST API and an unstored value (`clinical.data.OrderData`)
for the HL7 v2 converter. References to other resources are passed in by the caller, who
knows whether they point at stored ids (`Patient/12`) or at bundle entries (`urn:uuid:...`).
"""
