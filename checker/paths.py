"""Where the project's own files live: templates, fonts, the rulebook and the intake suite."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DEFAULT_RULEBOOK = EXPECTATIONS_DIR / "rulebook.toml"
INTAKE_SUITE = EXPECTATIONS_DIR / "intake_suite.json"
DEFAULT_OFFICE = PROJECT_ROOT / "office.toml"
SAMPLE_DATA_DIR = PROJECT_ROOT / "sample_data"
