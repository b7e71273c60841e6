"""Entry-point detectors, one module per web framework family.

Detector modules expose ``detect(ctx) -> Iterable[EntryPoint]``; the list of
detectors and the merge of their findings live in :mod:`vulnhuntr.repo.entrypoints`.
Shared pieces: :mod:`.entry` (the record), :mod:`.context` (types and references
through the resolver), :mod:`.syntax` (AST helpers), :mod:`.objects` (which types
are routers), :mod:`.classrules`/:mod:`.classviews` (class-based handlers),
:mod:`.prefixes` and :mod:`.urlconf` (URL prefixes).
"""
