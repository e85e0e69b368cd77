"""Imaging: DICOM SCP, durable storage, the Study/Series/Instance index, matching to orders,
rendering and DICOMweb."""
