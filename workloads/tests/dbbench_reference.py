#!/usr/bin/env python3
"""Independent reference figures for strata's db_bench parity tests.

Written from the algorithms' descriptions (LevelDB 1.23 util/random.h,
util/testutil.cc and benchmarks/db_bench.cc), not from strata's code, so
that the Rust tests compare two implementations rather than one with itself.

    python3 workloads/tests/dbbench_reference.py

prints the constants that workloads/tests/parity.rs checks in.
"""

M = 2147483647  # 2^31 - 1
A = 16807       # 7^5


class ParkMiller:
    """The 31-bit "minimal standard" generator, seeded as LevelDB seeds it."""

    def __init__(self, seed):
        s = seed & 0x7FFFFFFF
        if s == 0 or s == M:  # LevelDB replaces the two fixed points by 1
            s = 1
        self.s = s

    def next(self):
        self.s = (self.s * A) % M
        return self.s

    def uniform(self, n):
        return self.next() % n


def first_outputs(seed, count=5):
    g = ParkMiller(seed)
    return [g.next() for _ in range(count)]


def value_pool(ratio):
    """db_bench's RandomGenerator data: 100-byte pieces, each `int(100*ratio)`
    random printable characters repeated to 100 bytes, until >= 1 MiB."""
    g = ParkMiller(301)
    data = bytearray()
    while len(data) < 1048576:
        raw = max(int(100 * ratio), 1)
        raw_data = bytes(32 + g.uniform(95) for _ in range(raw))
        piece = bytearray()
        while len(piece) < 100:
            piece += raw_data
        data += piece[:100]
    return bytes(data)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def found_counts(num, names):
    """Runs db_bench's key arithmetic over `names` (single thread): every
    benchmark that runs a method takes seed 1000 + counter; fresh-db
    benchmarks empty the key set first. Returns the readrandom found counts."""
    fresh = {"fillseq", "fillsync", "fillrandom", "fillbatch", "fill100K"}
    present = bytearray(num)
    counter = 0
    found = []
    for name in names:
        counter += 1
        rng = ParkMiller(1000 + counter)
        if name in fresh:
            present = bytearray(num)
        if name in ("fillseq", "fillbatch"):
            for k in range(num):
                present[k] = 1
        elif name in ("fillrandom", "overwrite", "fillsync", "fill100K"):
            ops = num // 1000 if name in ("fillsync", "fill100K") else num
            for _ in range(ops):
                present[rng.uniform(num)] = 1
        elif name == "deleterandom":
            for _ in range(num):
                present[rng.uniform(num)] = 0
        elif name == "deleteseq":
            present = bytearray(num)
        elif name == "readrandom":
            found.append(sum(present[rng.uniform(num)] for _ in range(num)))
    return found


DEFAULT = ["fillseq", "fillsync", "fillrandom", "overwrite", "readrandom",
           "readrandom", "readseq", "readreverse", "compact", "readrandom"]

if __name__ == "__main__":
    for seed in (0, 1, 301, 1001, 2147483647, 2147483648 + 5):
        print(f"first_outputs({seed}) = {first_outputs(seed)}")
    pool = value_pool(0.5)
    print(f"pool(0.5): len={len(pool)} fnv1a64=0x{fnv1a64(pool):016x} head={pool[:24]!r}")
    pool = value_pool(0.25)
    print(f"pool(0.25): len={len(pool)} fnv1a64=0x{fnv1a64(pool):016x}")
    for num in (1000, 5000):
        print(f"default order, num={num}: {found_counts(num, DEFAULT)}")
    print(f"fillrandom,readrandom num=2000: {found_counts(2000, ['fillrandom', 'readrandom'])}")
    print(f"fillseq,deleterandom,readrandom num=2000: "
          f"{found_counts(2000, ['fillseq', 'deleterandom', 'readrandom'])}")
    print(f"default order, num=1000000: {found_counts(1000000, DEFAULT)}")
