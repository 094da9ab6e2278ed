"""Execute notebooks headless with nbclient, failing on the first cell error.

Usage: python execute.py NOTEBOOK... (run from notebooks/, as run.sh does). Each notebook runs with the
notebooks folder as working directory, so `import ef_outputs` and the default EF_OUTPUT=../output work as
in Jupyter. The committed notebooks stay without outputs; the executed copies, with outputs, are written to
<EF_OUTPUT>/notebooks/ for reading.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ef_outputs import output_root

# Per-cell limit: the slowest cell (a 2D histogram of every station) takes seconds; ten minutes
# means something hangs.
CELL_TIMEOUT_S = 600


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: python execute.py NOTEBOOK...", file=sys.stderr)
        return 2
    here = Path(__file__).resolve().parent
    executed = output_root() / "notebooks"
    executed.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in map(Path, paths):
        start = time.monotonic()
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                resources={"metadata": {"path": str(here)}})
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as e:
            status = "FAILED"
            failed.append(path.name)
            print(e, file=sys.stderr)
        out = executed / path.name
        nbformat.write(nb, out)
        print(f"{status}: {path.name} in {time.monotonic() - start:.1f} s (executed copy: {out})")
    if failed:
        print(f"error: {len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
