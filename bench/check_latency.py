"""Print how fast the engine answers a learner: ``import kenali``, loading the course, and the time
from a click on the check button to the feedback, measured inside the button's callback.

    python bench/check_latency.py [REPEATS]

Prints one line per figure and, last, a JSON line for tools.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def import_time(statement: str, repeats: int = 5) -> float:
    """Median time of ``statement`` in a fresh interpreter, measured inside it, in ms."""
    code = f"import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(repeats)
    ]
    return statistics.median(runs)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    os.environ["KENALI_HOME"] = tempfile.mkdtemp(prefix="kenali-bench-")
    imp = import_time("import kenali")
    api = import_time("from kenali import mulai, tampilkan")
    print(f"import kenali: {imp:.1f} ms (median of 5 fresh interpreters)")
    print(f"from kenali import mulai, tampilkan (loads ipywidgets): {api:.0f} ms")

    started = time.perf_counter()
    from kenali.api import mulai
    from kenali.session import current
    from kenali.widgets import ExerciseView

    mulai("01")
    load_ms = (time.perf_counter() - started) * 1000
    print(f"first mulai() incl. ipywidgets import and bank loading: {load_ms:.0f} ms")

    session = current()
    timings = {}
    for ex in session.course.exercises(graded_only=True):
        if ex.is_code:
            continue
        view = ExerciseView(ex, session)
        samples = []
        for _ in range(repeats):
            view.input.set(ex.correct_answer())
            view.check_button.click()
            samples.append(view.last_check_ms)
        timings[ex.type] = timings.get(ex.type, []) + samples
    everything = [s for v in timings.values() for s in v]
    for kind, samples in sorted(timings.items()):
        print(
            f"click→feedback {kind:<14} median {statistics.median(samples):.2f} ms, "
            f"p95 {sorted(samples)[int(len(samples) * 0.95)]:.2f} ms"
        )
    median = statistics.median(everything)
    p95 = sorted(everything)[int(len(everything) * 0.95)]
    print(
        f"click→feedback all widget types: median {median:.2f} ms, p95 {p95:.2f} ms over {len(everything)} clicks "
        "(check + write the answer record + update the widgets)"
    )
    print(
        json.dumps(
            {
                "import_ms": round(imp, 1),
                "api_import_ms": round(api),
                "check_median_ms": round(median, 2),
                "check_p95_ms": round(p95, 2),
                "clicks": len(everything),
            }
        )
    )


if __name__ == "__main__":
    main()
