"""The resumable ``run``: takes a SOURCE of eggs and an OUT folder; gives OUT's eggs/, wheels/,
mirror/, manifest.json (one :class:`~migrate.records.EggRecord` per egg), requirements.txt and
report.txt. :mod:`pipeline` orders the stages (fetching, converting, publishing, reporting, pinning).

The names below load their module on first use: ``convert`` and ``inspect`` import
``migrate.run.report`` and should not pay for the whole run (fetch, mirror, pins).
"""
import importlib

_HOMES = {
    "run": "pipeline", "TEMP_NAMES": "pipeline",
    "RunOptions": "stage", "RunReport": "stage", "RunContext": "stage", "Bar": "stage", "Bars": "stage",
    "Busy": "runstate", "RunLock": "runstate", "KILL_ENV": "runstate", "KILL_POINTS": "runstate",
    "NoSource": "fetching", "SAMPLE": "fetching", "SAMPLE_EGGS_INI": "fetching", "source_for": "fetching",
    "default_target": "pinning",
    "egg_record": "manifest", "failed_record": "manifest", "skipped_record": "manifest", "source_of": "manifest",
    "write_manifest": "manifest", "render_report": "manifest", "write_report": "manifest",
    "result_record": "report", "describe": "report",
}
__all__ = sorted(_HOMES)  # noqa: PLE0605 - the names are the keys above


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
