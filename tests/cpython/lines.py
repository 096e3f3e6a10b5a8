"""The line decoder (through the probe library: the line table copied by the reader's describe)
against the interpreter, at every instruction of every code object of a few large modules and
of a very long function: against PyCode_Addr2Line itself (through ctypes.pythonapi) and
against the code object's own view of its table (co_positions() from 3.11, co_lines() in 3.10,
dis.findlinestarts before). Also: describe's file and qualified name, no two live code objects
with one identity, and no read past a table's end: every prefix of every table, decoded at an
offset past its end, ends before an unreadable page. Usage: lines.py LIBPROBE"""
import ctypes
import dis
import importlib.util
import sys
import types

import longsource

MODULES = ["typing", "argparse", "inspect", "pydoc", "_pydecimal"]
QUALNAME = "co_qualname" if sys.version_info >= (3, 11) else "co_name"

addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int
lib = ctypes.CDLL(sys.argv[1])
lib.probe_code.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                           ctypes.c_int32, ctypes.POINTER(ctypes.c_int32), ctypes.c_uint]
lib.probe_addr2line_guarded.argtypes = [ctypes.c_uint, ctypes.c_int32, ctypes.c_char_p,
                                        ctypes.c_size_t, ctypes.c_uint32]
lib.probe_identity.argtypes = [ctypes.c_void_p]
lib.probe_identity.restype = ctypes.c_uint64


def code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


def table_lines(code):
    """The line of each code unit, from the code object's own view of its line table."""
    units = len(code.co_code) // 2
    if sys.version_info >= (3, 11):
        return [-1 if p[0] is None else p[0] for p in code.co_positions()]
    lines = [None] * units
    if sys.version_info >= (3, 10):
        for start, end, line in code.co_lines():
            for i in range(start // 2, min(end, 2 * units) // 2):
                lines[i] = -1 if line is None else line
        return lines
    starts = dict(dis.findlinestarts(code))
    line = None
    for i in range(units):
        line = starts.get(2 * i, line)
        lines[i] = line
    return lines


def truncated(version, code):
    """Decodes every prefix of code's table (up to a page) far past its end."""
    table = code.co_linetable if sys.version_info >= (3, 10) else code.co_lnotab
    for size in range(min(len(table), 4096) + 1):
        lib.probe_addr2line_guarded(version, code.co_firstlineno, table[:size], size, 1 << 30)


def check(name, code, totals, failures):
    units = len(code.co_code) // 2
    got = (ctypes.c_int32 * (units + 1))()
    filename = ctypes.create_string_buffer(4096)
    qualname = ctypes.create_string_buffer(4096)
    if lib.probe_code(id(code), filename, qualname, 4096, -2, got, units + 1) < 0:
        failures.append("%s: %s cannot be described" % (name, code))
        return
    if (filename.value.decode(), qualname.value.decode()) != (code.co_filename,
                                                             getattr(code, QUALNAME)):
        failures.append("%s: %s described as %s %s" % (name, code, filename.value,
                                                      qualname.value))
    want = [addr2line(code, -2)] + [addr2line(code, 2 * i) for i in range(units)]
    view = table_lines(code)
    for i in range(units + 1):
        if got[i] != want[i]:
            totals[2] += 1
            failures.append("%s: %s at offset %d: %d, PyCode_Addr2Line %d"
                            % (name, code, 2 * i - 2, got[i], want[i]))
        if i and got[i] != view[i - 1]:
            totals[3] += 1
            failures.append("%s: %s at offset %d: %d, the table's view %s"
                            % (name, code, 2 * i - 2, got[i], view[i - 1]))
    totals[0] += 1
    totals[1] += units + 1


def main():
    version = lib.probe_init()
    if version != (sys.version_info[0] << 8 | sys.version_info[1]):
        print("FAIL: the reader found version 0x%04x" % version)
        return 1
    sources = [(name, importlib.util.find_spec(name).origin) for name in MODULES]
    failures = []
    everything = []
    for name, path in sources + [("long function", None)]:
        if path:
            with open(path, "rb") as f:
                module = compile(f.read(), path, "exec")
        else:
            # Fewer statements than the frames test: every offset is decoded from the table's
            # start, twice (here and by CPython), and the table's forms need no more.
            module = compile(longsource.source("len('')", 2000), "long.py", "exec")
        totals = [0, 0, 0, 0]
        for code in code_objects(module):
            check(name, code, totals, failures)
            truncated(version, code)
            everything.append(code)
        print("%-14s %5d code objects, %7d offsets: %d differ from PyCode_Addr2Line, "
              "%d from the table's view" % (name, *totals))
    identities = set(lib.probe_identity(id(code)) for code in everything)
    if len(identities) != len(everything):
        failures.append("%d code objects, %d identities" % (len(everything), len(identities)))
    for f in failures[:50]:
        print("FAIL", f)
    print("Python %s: %d failures" % (sys.version.split()[0], len(failures)))
    return 1 if failures else 0


sys.exit(main())
