"""Galaxy's ``eggs.ini`` in (:mod:`eggsini`), Galaxy-style
``pinned-requirements.txt`` out (:mod:`galaxy`).
"""
