"""Objects made at known lines, for stacks.py: cycles of instances of this file's classes (no
free list serves them, so the block's allocation is the object's making), each made in its own
way, then by code objects compiled, run and freed one after another, and by a subinterpreter. Each cycle's objects print as "address Class LINE FUNCTION" where LINE is the line that made
the object and FUNCTION the innermost function there, and then the script collects through
atoll. Lines are found by their markers, so editing this file keeps the test right."""
import ctypes
import gc
import sys
import threading

gc.disable()
HERE = open(__file__).read().splitlines()


def line_of(marker):
    return next(i + 1 for i, text in enumerate(HERE) if text.rstrip().endswith("# " + marker))


class Node:
    def __init__(self, tag):
        self.tag = tag
        self.peer = None


class Leaf(Node):
    pass


made = []


def note(obj, marker, function):
    made.append((obj, line_of(marker), function))


def in_function():
    a = Node(1)  # function-a
    b = Node(2)  # function-b
    a.peer, b.peer = b, a
    note(a, "function-a", "in_function")
    note(b, "function-b", "in_function")


class Maker:
    def method(self):
        a = Leaf(3)  # method
        a.peer = a
        note(a, "method", "Maker.method" if sys.version_info >= (3, 11) else "method")


def closure_maker():
    def inner():
        a = Node(4)  # closure
        a.peer = a
        return a
    return inner


def gen():
    a = Node(5)  # generator
    a.peer = a
    yield a


def in_comprehension():
    nodes = [Node(6) for _ in range(2)]  # comprehension
    nodes[0].peer, nodes[1].peer = nodes[1], nodes[0]
    name = "in_comprehension" if sys.version_info >= (3, 12) else "<listcomp>"
    if sys.version_info >= (3, 11) and sys.version_info < (3, 12):
        name = "in_comprehension.<locals>.<listcomp>"
    for n in nodes:
        note(n, "comprehension", name)


def key(x):
    a = Node(x)  # sorted-key
    a.peer = a
    note(a, "sorted-key", "key")
    return x


def in_thread():
    a = Node(7)  # thread
    a.peer = a
    note(a, "thread", "in_thread")


SUBINTERPRETER = """import gc, sys
gc.disable()
class Sub:
    pass
def make():
    a = Sub()
    a.peer = a
    print("%#x Sub 6 make" % id(a))
make()
sys.stdout.flush()
"""


def in_subinterpreter():
    """A cycle made by a subinterpreter's code: its frames, not those of the code that started
    it (skipped where the interpreter has no subinterpreter module)."""
    try:
        import _xxsubinterpreters as interpreters
    except ImportError:
        try:
            import _interpreters as interpreters
        except ImportError:
            return
    sys.stdout.flush()
    interpreter = interpreters.create()
    interpreters.run_string(interpreter,
                            "exec(compile(%r, %r, 'exec'))" % (SUBINTERPRETER, __file__))
    return interpreter  # alive to the end: the last reference's drop ends the interpreter


def in_fresh_code(rounds):
    """Code objects made, run and freed in turn, the same bytecode at the same call site but
    each with its own line: a new code object at a freed one's address must not pass for it."""
    for k in range(rounds):
        line = 1000 + k
        code = compile("\n" * (line - 1) + "a = Node(9); a.peer = a\n", __file__, "exec")
        space = {"Node": Node}
        exec(code, space)
        made.append((space["a"], line, "<module>"))
        del code, space


in_function()
Maker().method()
note(closure_maker()(), "closure",
     "closure_maker.<locals>.inner" if sys.version_info >= (3, 11) else "inner")
note(next(gen()), "generator", "gen")
in_comprehension()
sorted([2, 1], key=key)
t = threading.Thread(target=in_thread)
t.start()
t.join()
in_fresh_code(40)
subinterpreter = in_subinterpreter()
for obj, line, function in made:
    print("%#x %s %d %s" % (id(obj), type(obj).__name__, line, function))
del obj
made.clear()
sys.stdout.flush()
ctypes.CDLL(None).atoll_collect(2)
