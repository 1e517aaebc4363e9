"""One egg -> one wheel: tags, the plan of where each file goes, dist-info,
the zip writer, ``convert_egg`` and ``auditwheel repair``. Takes an egg; gives
``EggFacts``, ``WheelTags`` and a ``ConvertResult``.
"""
