"""The frames the reader finds (through the probe library, ctypes) against the interpreter's
own at the same call: each frame's file, qualified name (co_qualname, co_name before 3.11) and
line (f_lineno), from the innermost (the caller of the ctypes function) out. Every frame of
every case must match. Usage: frames.py LIBPROBE"""
import asyncio
import ctypes
import functools
import gc
import os
import sys
import threading

import longsource

MAX = 64

lib = ctypes.CDLL(sys.argv[1])


class Frame(ctypes.Structure):
    _fields_ = [("filename", ctypes.c_char * 1024), ("qualname", ctypes.c_char * 256),
                ("line", ctypes.c_int32), ("instr", ctypes.c_uint32),
                ("identity", ctypes.c_uint64)]


lib.probe_stack.argtypes = [ctypes.POINTER(Frame), ctypes.c_uint]
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int)
lib.probe_call.argtypes = [CALLBACK]
lib.probe_call_in_thread.argtypes = [CALLBACK]
if lib.probe_init() != (sys.version_info[0] << 8 | sys.version_info[1]):
    sys.exit("FAIL: the reader did not find this interpreter's version")

results = []                                    # (case, frames compared, mismatches)
failures = []


def python_stack(frame):
    stack = []
    while frame is not None and len(stack) < MAX:
        code = frame.f_code
        name = code.co_qualname if sys.version_info >= (3, 11) else code.co_name
        line = frame.f_lineno
        stack.append((code.co_filename, name, -1 if line is None else line))
        frame = frame.f_back
    return stack


def capture(case):
    """Reads this thread's frames and the interpreter's, at one line; records the comparison."""
    buf = (Frame * MAX)()
    # One line, so that this frame's line is the same to both.
    n = lib.probe_stack(buf, MAX); want = python_stack(sys._getframe())  # noqa: E702
    again = (Frame * MAX)(); lib.probe_stack(again, MAX)  # noqa: E702
    if n < 0:
        failures.append("%s: a frame could not be described" % case)
        results.append((case, 0, len(want)))
        return 0
    got = [(os.fsdecode(f.filename), f.qualname.decode(), f.line) for f in buf[:n]]
    bad = sum(1 for i in range(max(len(got), len(want)))
              if i >= len(got) or i >= len(want) or got[i] != want[i])
    if bad:
        failures.append("%s:\n  read        %s\n  interpreter %s" % (case, got, want))
    for i in range(1, n):                       # the outer frames stand still: same code
        if buf[i].identity != again[i].identity:
            failures.append("%s: frame %d's code identity changed between reads" % (case, i))
    results.append((case, len(want), bad))
    return 0


# Plain calls.
capture("module level")


def function():
    capture("function")


function()


class Methods:
    def method(self):
        capture("method")

    @staticmethod
    def static():
        capture("staticmethod")

    @classmethod
    def klass(cls):
        capture("classmethod")

    class Inner:
        def method(self):
            capture("nested class method")

    capture("class body")


Methods().method()
Methods.static()
Methods.klass()
Methods.Inner().method()


def outer():
    value = 1

    def closure():
        def innermost():
            capture("nested function")
            return value
        capture("closure")
        return innermost()
    return closure()


outer()
(lambda: capture("lambda"))()


def decorator(fn):
    capture("decorator")

    @functools.wraps(fn)
    def wrapper(*args):
        capture("decorator wrapper")
        return fn(*args)
    return wrapper


@decorator
def decorated():
    capture("decorated")


decorated()


# Generators and coroutines.
def generator():
    yield capture("generator")
    yield capture("generator resumed")


def delegating():
    yield from generator()


list(generator())
list(delegating())


async def coroutine():
    await asyncio.sleep(0)
    capture("coroutine")


async def awaiting():
    capture("coroutine before await")
    await coroutine()
    await asyncio.gather(coroutine(), coroutine())


asyncio.run(awaiting())


async def async_generator():
    yield capture("async generator")


async def consume():
    return [x async for x in async_generator()]


asyncio.run(consume())

# Comprehensions and generator expressions (3.12 inlines the first three).
[capture("list comprehension") for _ in range(1)]
{capture("set comprehension") for _ in range(1)}
{0: capture("dict comprehension") for _ in range(1)}
list(capture("generator expression") for _ in range(1))


def comprehensions():
    return [[capture("nested comprehension") for _ in range(1)] for _ in range(1)]


comprehensions()

# Another thread.
thread = threading.Thread(target=lambda: capture("thread"))
thread.start()
thread.join()


class Worker(threading.Thread):
    def run(self):
        capture("Thread subclass")


Worker().start()
for t in threading.enumerate():
    if t is not threading.current_thread():
        t.join()

# Python called back from C.
sorted([2, 1], key=lambda x: (capture("sorted key"), x)[1])
list(map(lambda x: capture("map"), [1]))
callback = CALLBACK(lambda: capture("ctypes callback"))
lib.probe_call(callback)
lib.probe_call_in_thread(CALLBACK(lambda: capture("ctypes callback, C thread")))
lib.probe_call(CALLBACK(lambda: lib.probe_call(CALLBACK(lambda: capture("callback in callback")))))

# Exception handlers.
try:
    raise ValueError
except ValueError:
    capture("except")
finally:
    capture("finally")


def handler():
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            raise KeyError
    except KeyError:
        capture("except in function")


handler()

# exec and compile: strings, odd file names, names past ASCII (UCS1, UCS2, UCS4 file names).
scope = {"capture": capture}
exec("capture('exec')", scope)
exec(compile("def fünf():\n    capture('latin-1 name')\nfünf()\n", "données.py", "exec"), scope)
exec(compile("def 函数():\n    capture('CJK name')\n函数()\n", "ファイル.py", "exec"),
     scope)
exec(compile("capture('astral file name')\n", "\U0001F40D/snake.py", "exec"), scope)
exec(compile("capture('undecodable file name')\n", os.fsdecode(b"bad\xff.py"), "exec"), scope)
eval(compile("capture('eval')", "<eval>", "eval"), scope)


# Deeper than MAX: the innermost MAX frames.
def recurse(n):
    return recurse(n - 1) if n else capture("recursion deeper than %d" % MAX)


recurse(3 * MAX)


def recurse_through_c(n):
    return sorted([0], key=lambda x: recurse_through_c(n - 1)) if n else capture(
        "recursion through C")


recurse_through_c(MAX)

# Very long functions: lines past 255, jumps of thousands of lines and of instructions.
exec(compile(longsource.source("capture('long function')"), "long.py", "exec"), scope)
scope["long_function"]()



# Every object allocation of a workload: the reader against CPython's own frame iteration, at
# every allocation (hook.c). The collector is off: it would run finalizers inside the hook.
def workload():
    def cells(a):
        b = [a]

        def inner():
            return a, b
        return inner

    def numbers(n):
        yield from range(n)
        yield [n]

    class Thing:
        def __init__(self, n):
            self.n = [n]

    async def pause(n):
        await asyncio.sleep(0)
        return [n]

    async def pauses():
        return await asyncio.gather(*[pause(n) for n in range(3)])

    for i in range(20):
        cells(i)()
        list(numbers(i))
        Thing(i)
        {str(k): [k] * 3 for k in range(10)}
        sorted(range(10), key=lambda x: [-x])
        type("Made", (object,), {"n": i})
        "%s %d %r" % ("x", i, [i])
        try:
            {}[i]
        except KeyError as e:
            str(e)
    asyncio.run(pauses())


lib.probe_hook_stop.argtypes = [ctypes.POINTER(ctypes.c_ulong)] * 3 + [ctypes.c_char_p,
                                                                       ctypes.c_size_t]
hooked = [ctypes.c_ulong() for _ in range(3)]
first = ctypes.create_string_buffer(1024)
gc.disable()
if lib.probe_hook_start() == 0:
    workload()
    lib.probe_hook_stop(*[ctypes.byref(c) for c in hooked], first, 1024)
gc.enable()
results.append(("every allocation of a workload (%d)" % hooked[0].value, hooked[1].value,
                hooked[2].value))
if hooked[2].value or not hooked[0].value:
    failures.append("workload: %d allocations, %d mismatches; the first: %s"
                    % (hooked[0].value, hooked[2].value, first.value.decode()))

for case, compared, bad in results:
    print("%-40s %3d frames, %d mismatches" % (case, compared, bad))
frames = sum(r[1] for r in results)
mismatches = sum(r[2] for r in results)
print("Python %s: %d cases, %d frames compared, %d mismatches"
      % (sys.version.split()[0], len(results), frames, mismatches))
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures or not frames else 0)
