"""A repository -> verified eggs on disk: listings (:mod:`sources`), selection,
resumable downloads and the HTTP session. Takes a SOURCE; gives a ``FetchResult``.
"""
