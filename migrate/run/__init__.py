"""The resumable ``run``: fetch, convert + check, publish, manifest, report, pins.
Takes a SOURCE and OUT; gives OUT's files and the manifest records.
"""
