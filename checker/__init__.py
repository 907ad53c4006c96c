"""checker: a school digitisation compliance checker for district education offices."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("checker")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
