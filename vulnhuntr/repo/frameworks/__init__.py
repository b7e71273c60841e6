"""Entry-point detectors, one module per web framework family.

Each detector module exposes ``detect(ctx) -> Iterable[EntryPoint]``; the list of
detectors and the merge of their findings live in :mod:`vulnhuntr.repo.entrypoints`.
"""
