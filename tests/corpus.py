"""Where the shared real-world statement samples are, for the pure parser tests.

Looked up once: ``$BANKFEEDS_CORPUS``, else ``shared/corpus`` beside this repository (how CI
lays it out), else ``/work/shared/corpus``. A missing corpus or sample fails the test that
needs it: a sample that silently goes missing must not turn into a skipped check.
"""

import os
import pathlib

import pytest

_REPO = pathlib.Path(__file__).resolve().parents[1]
_ENV = os.environ.get("BANKFEEDS_CORPUS")
_CANDIDATES = [
    *([pathlib.Path(_ENV)] if _ENV else []),
    _REPO.parent / "shared" / "corpus",
    pathlib.Path("/work/shared/corpus"),
]
CORPUS = next((path for path in _CANDIDATES if (path / "MANIFEST.tsv").is_file()), _CANDIDATES[-1])


def corpus_bytes(relative):
    """Return the bytes of ``CORPUS / relative``; fail the test if it is missing."""
    path = CORPUS / relative
    if not path.is_file():
        pytest.fail(f"corpus sample {path} is missing (set BANKFEEDS_CORPUS)", pytrace=False)
    return path.read_bytes()
