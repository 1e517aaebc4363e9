from setuptools import setup

setup(
    name="MiniMako",
    version="0.4.1",
    description="egg-migrate sample: a tiny Mako-like templating package",
    author="egg-migrate sample",
    license="MIT",
    packages=["minimako"],
)
