"""DICOMweb: the subset a standard web viewer (OHIF) uses, mounted under /dicomweb/.

QIDO-RS searches, WADO-RS retrieval (instances, metadata, frames, rendered, thumbnails)
and STOW-RS uploads. Every request is authenticated (`request.user`) and every query
starts from `Study.objects.restrict(user, "view")`, so a study the user may not see is
answered 404 like one that does not exist; every read of patient data is audited.
"""
