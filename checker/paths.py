"""Where the checker's own files live: templates, fonts, the rulebooks,
the office settings example, the sample district and the catalogs.

They are package data, found through `importlib.resources`, so that a wheel installed anywhere
and an editable install of a source checkout find them the same way. The repository keeps
`templates/`, `expectations/` and `sample_data/` at its top level; pyproject.toml maps them to
the sub-packages `checker.templates`, `checker.expectations` and `checker.sample_data`.
`checker/examples/office.toml` is a link to the top-level `office.toml` (a package cannot be
mapped onto the repository's root), which the wheel stores as a plain file.
"""

from importlib.resources import files
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder of one of the checker's packages, as a real path.

    WeasyPrint, Jinja's loader and the safe fetcher need real files, so an install that does
    not unpack them (a zip import) is refused with a plain sentence.
    """
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package}: checker must be installed as files, not zipped.")
    return folder


TEMPLATES_DIR = package_folder("checker.templates")
EXPECTATIONS_DIR = package_folder("checker.expectations")
DEFAULT_RULEBOOK = EXPECTATIONS_DIR / "rulebook.toml"  # the local plan (Kế hoạch 4291)
QD4725_RULEBOOK = EXPECTATIONS_DIR / "qd4725.toml"  # the national index (QĐ 4725/QĐ-BGDĐT)
DEFAULT_OFFICE = package_folder("checker") / "examples" / "office.toml"
SAMPLE_DATA_DIR = package_folder("checker.sample_data")
LOCALE_DIR = package_folder("checker") / "locale"
