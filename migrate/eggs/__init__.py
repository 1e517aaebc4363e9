"""Reading eggs: file names (:mod:`names`), safe member access (:mod:`archive`)
and EGG-INFO (:mod:`egginfo`). Takes an egg file or folder; gives ``EggName``,
``EggArchive`` and ``EggInfo``.
"""
