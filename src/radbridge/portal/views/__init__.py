"""Portal pages, one module per area. Views are thin: parse, check permission, call one
service, render. PHI-reading views are marked with `phi.reads_phi` and audit their reads."""
