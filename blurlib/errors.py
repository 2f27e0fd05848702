"""The one exception type for user-facing errors: it names the file and the fix."""


class BlurlibError(Exception):
    """An error caused by input the user can fix (a file, a folder, a parameter).

    The command line prints its message and exits with status 2, without a traceback.
    """


def reason(e: BaseException) -> str:
    """A one-line account of an underlying exception, for a :class:`BlurlibError` message: its type and first line.

    >>> reason(ValueError("bad value\\nmore detail"))
    'ValueError: bad value'
    """
    if type(e).__name__ == "UnpicklingError":  # torch's text advises weights_only=False, unsafe for unknown files
        return "UnpicklingError: not a file written by torch.save, or one holding foreign objects"
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__


def is_out_of_memory(e: BaseException) -> bool:
    """Whether ``e`` says the device ran out of memory: torch's OutOfMemoryError (CUDA), Python's MemoryError, or the
    CPU allocator's RuntimeError ("can't allocate memory", e.g. under a container's or ``ulimit -v``'s limit).

    >>> is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"))
    True
    >>> is_out_of_memory(RuntimeError("shape mismatch"))
    False
    """
    if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":
        return True
    words = ("can't allocate memory", "not enough memory", "out of memory", "DefaultCPUAllocator")
    return isinstance(e, RuntimeError) and any(w in str(e) for w in words)
