"""A mirror + requirements + a target -> hash pins (requirements.txt,
pylock.toml), resolved with resolvelib for the target's marker environment.
"""
