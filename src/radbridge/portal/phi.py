"""Marking the views that show PHI, so a test can find every one and check it audits.

`@reads_phi` does not audit by itself (only the view knows which patient it showed); it
tags the view, and tests/portal/test_phi_audit.py fails for a tagged view that has no case
in its table, or whose request writes no `read.` audit entry.
"""


def reads_phi(view):
    view.reads_phi = True
    return view
