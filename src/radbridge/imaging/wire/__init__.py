"""The DICOM upper layer, acceptor side (PS3.8): PDUs, negotiation, DIMSE commands, the
association loop and the listening server. No Django here: it can be read, tested and
benchmarked alone; the application (storage, index) is handed in."""
