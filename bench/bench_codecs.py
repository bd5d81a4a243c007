"""Deflate implementations compared, one file at a time as the zip holds them: why `deflate`.

    pip install zlib-ng isal   # (benchmark only; the action needs neither)
    python bench/bench_codecs.py [--trees node,python]

For each tree: the CPU time of one thread to deflate every file (raw deflate, an entry kept
stored when it does not shrink) and the total of the entries' data, with zlib's level 6
(what Info-ZIP's default level matches) as the reference. The zip's headers come on top:
ours are smaller than Info-ZIP's (no extra fields, no folder entries), the only slack there is.
"""

import argparse
import time
import zlib
from collections.abc import Callable

import common
import trees

Codec = Callable[[bytes], bytes]


def codecs() -> list[tuple[str, Codec]]:
    import deflate

    found: list[tuple[str, Codec]] = [("zlib 6 (reference)", lambda d: zlib.compress(d, 6, -15))]
    for level in (4, 5, 6, 7):
        found.append((f"deflate {level}", lambda d, v=level: bytes(deflate.deflate_compress(d, v))))
    try:
        from zlib_ng import zlib_ng

        for level in (6, 7, 9):
            found.append((f"zlib-ng {level}", lambda d, v=level: zlib_ng.compress(d, v, wbits=-15)))
    except ImportError:
        print("(zlib-ng not installed: pip install zlib-ng)")
    try:
        from isal import isal_zlib

        for level in (2, 3):
            found.append((f"isal {level}", lambda d, v=level: isal_zlib.compress(d, v, wbits=-15)))
    except ImportError:
        print("(isal not installed: pip install isal)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", default="node,python")
    args = parser.parse_args()
    makers = {"node": trees.node_tree, "python": trees.python_tree, "small": trees.small_tree}
    for key in args.trees.split(","):
        root = makers[key]().resolve()
        data = [p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()]
        raw = sum(len(d) for d in data)
        rows, reference = [], None
        for name, compress in codecs():
            start = time.process_time()
            total = sum(min(len(compress(d)), len(d)) for d in data)
            cpu = time.process_time() - start
            reference = reference or (cpu, total)
            rows.append(
                [
                    name,
                    f"{cpu:.2f}",
                    f"{reference[0] / cpu:.1f}x",
                    f"{total / 1e6:.2f}",
                    f"{total / reference[1]:.3f}",
                ]
            )
        print(f"\n{key}: {len(data):,} files, {raw / 1e6:.1f} MB; {common.machine()}\n")
        print(common.table(["codec, level", "CPU s", "speed", "data MB", "size vs zlib 6"], rows))


if __name__ == "__main__":
    main()
