from setuptools import setup

setup(
    name="MiniMako",
    version="0.2.5",
    description="egg-migrate sample: an older MiniMako that eggs.ini does not select",
    author="egg-migrate sample",
    license="MIT",
    packages=["minimako"],
)
