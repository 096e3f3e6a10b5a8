"""The time of one read of the calling thread's frames (cpython_frames_read), at Python stack
depths 5 and 30; best of 5 runs of 500000 reads. Usage: cost.py LIBPROBE"""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.probe_cost.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint)]
lib.probe_cost.restype = ctypes.c_double


def depth():
    frame, n = sys._getframe(1), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


def measure(want):
    if depth() < want:
        return measure(want)
    read, best = ctypes.c_uint(), None
    for _ in range(5):                          # no comprehension: a frame of its own
        ns = lib.probe_cost(64, 500000, ctypes.byref(read))
        best = ns if best is None else min(best, ns)
    return best, read.value


lib.probe_init()
failed = False
for want in (5, 30):
    ns, read = measure(want)
    print("Python %s, depth %d: %.1f ns per read (%d frames read)"
          % (sys.version.split()[0], want, ns, read))
    failed |= read != want
sys.exit(1 if failed else 0)
