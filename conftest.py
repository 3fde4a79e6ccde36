"""Root pytest configuration, for the unit tests and for nbval's notebook runs alike.

* ``KENALI_HOME`` points at a throw-away folder before anything runs: nbval's kernels inherit the
  environment, so neither the tests nor the notebooks they execute ever write into a learner's
  own progress folder (``<course>/.kenali``).
* Every notebook carries its expected outputs (lessons: their stored outputs; exercise notebooks:
  "belum dijawab" for each exercise; solution notebooks: "benar" for each), so nbval compares
  outputs everywhere.
"""

from __future__ import annotations

import os
import tempfile

os.environ["KENALI_HOME"] = tempfile.mkdtemp(prefix="kenali-test-home-")
os.environ.setdefault("KENALI_LANG", "id")
os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore_glob = ["tests/e2e/artifacts/*", "bench/*", "data/*", "build/*"]
