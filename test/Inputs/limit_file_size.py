#!/usr/bin/python3
"""Runs a command as on a nearly full disk: no file it writes may grow past
LIMIT bytes (RLIMIT_FSIZE; writes beyond fail with EFBIG instead of killing
the process with SIGXFSZ). LLVM's signal handlers still catch the SIGXFSZ
and print a stack dump before the write fails, a test artefact a real full
disk (ENOSPC) does not produce; symbolization is off so that the dump itself
writes no file.

Usage: limit_file_size.py LIMIT COMMAND [ARGS...]
"""

import os
import resource
import signal
import sys

limit = int(sys.argv[1])
os.environ["LLVM_DISABLE_SYMBOLIZATION"] = "1"
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited through exec
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
os.execvp(sys.argv[2], sys.argv[2:])
