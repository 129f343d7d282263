"""Sort a long stream of records on flat memory (an external merge sort).

Banks return transactions newest first, or in no documented order, while the
ORM layer books them oldest first (statements per period, balances, resuming
after the last committed day). :class:`SortedSpool` receives records in any
order and gives them back sorted: up to ``run_size`` records stay in memory;
beyond, each full run is sorted and written to one anonymous temporary file
(pickled in small blocks), and reading merges the runs with :func:`heapq.merge`,
holding one block per run. The file is removed on :meth:`SortedSpool.close`
(or when the process ends).

Pickle is only used for data this process wrote itself into its own
unnamed temporary file.
"""

import heapq
import pickle
import struct
import tempfile

_LENGTH = struct.Struct("<I")


class SortedSpool:
    """Collect ``(key, record)`` pairs; iterate the records in key order.

    :param run_size: records kept in memory before a sorted run is spilled.
    :param block_size: records per pickled block (memory when merging is about
        ``block_size`` records per run).
    :param tmp_dir: directory of the temporary file (None: the system's).
    """

    def __init__(self, run_size=5000, block_size=100, tmp_dir=None):
        self.run_size = run_size
        self.block_size = block_size
        self.tmp_dir = tmp_dir
        self.count = 0
        self._run = []
        self._file = None
        self._runs = []  # (offset, size in bytes) of each spilled run
        self._seq = 0  # keeps equal keys in arrival order, and records uncompared

    def __len__(self):
        return self.count

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def spilled_runs(self):
        """Number of runs written to disk so far (0: everything in memory)."""
        return len(self._runs)

    def add(self, key, record):
        """Add one record, sorted by ``key`` (keys must be mutually comparable)."""
        self._run.append((key, self._seq, record))
        self._seq += 1
        self.count += 1
        if len(self._run) >= self.run_size:
            self._spill()

    def _spill(self):
        self._run.sort()
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self.tmp_dir)  # noqa: SIM115
        self._file.seek(0, 2)
        start = self._file.tell()
        for index in range(0, len(self._run), self.block_size):
            data = pickle.dumps(self._run[index:index + self.block_size],
                                protocol=pickle.HIGHEST_PROTOCOL)
            self._file.write(_LENGTH.pack(len(data)))
            self._file.write(data)
        self._runs.append((start, self._file.tell() - start))
        self._run = []

    def __iter__(self):
        """Yield the records in key order (equal keys: in the order added)."""
        if not self._runs:
            self._run.sort()
            for _key, _seq, record in self._run:
                yield record
            return
        if self._run:
            self._spill()
        self._file.flush()
        merged = heapq.merge(*(self._read_run(start, size) for start, size in self._runs))
        for _key, _seq, record in merged:
            yield record

    def _read_run(self, start, size):
        # One shared file: every reader seeks to its own position before reading.
        position, end = start, start + size
        while position < end:
            self._file.seek(position)
            (length,) = _LENGTH.unpack(self._file.read(_LENGTH.size))
            block = pickle.loads(self._file.read(length))  # noqa: S301 (our own file)
            position += _LENGTH.size + length
            yield from block

    def close(self):
        """Forget the records and delete the temporary file."""
        self._run = []
        self._runs = []
        if self._file is not None:
            self._file.close()
            self._file = None
