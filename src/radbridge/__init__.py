"""RadBridge: the secure digital layer between an imaging centre's RIS/PACS and its people."""

__version__ = "0.1.0"
