from setuptools import setup

setup(
    name="gxreport",
    version="1.2",
    description="egg-migrate sample: scripts, entry points, marker requirements and extras",
    author="egg-migrate sample",
    license="MIT",
    packages=["gxreport"],
    scripts=["scripts/gxreport-legacy"],
    entry_points={
        "console_scripts": ["gxreport = gxreport.cli:main"],
        "gxreport.formats": ["text = gxreport.formats:text"],
    },
    install_requires=[
        "MiniMako>=0.4",
        'sampledep; sys_platform == "linux2"',
    ],
    extras_require={
        "fast": ["pysam>=0.4"],
        'html:python_version < "3"': ["MarkupShim>=0.12"],
    },
)
