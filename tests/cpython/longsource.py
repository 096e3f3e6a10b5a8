"""Source of one very long function, for the long forms of the line tables: lines past 255,
line jumps of tens of thousands (long varints in 3.11+, many lnotab pairs before), one line of
hundreds of instructions, instruction offsets past 65535 (with the default statements), lines
that go back (a loop, a call whose arguments span lines)."""


def source(call, statements=20000):
    """The function long_function, which evaluates call (an expression) at each of those
    places."""
    lines = ["def long_function():"]
    lines += ["    x%d = %d" % (i % 50, i) for i in range(300)]
    lines.append("    " + call)
    lines += [""] * 70000
    lines.append("    " + call)
    lines.append("    x0 = [%s]" % ", ".join(["x1"] * 400))
    lines += ["    x%d = %d" % (i % 50, i) for i in range(statements)]
    lines.append("    " + call)
    lines += ["    for i in range(2):", "        " + call, "        x0 = i"]
    lines += ["    x1 = max(", "        1,", ""]
    lines += [""] * 3000
    lines += ["        (" + call.strip() + ", 2)[1],", "        3)"]
    lines.append("    return x1")
    return "\n".join(lines) + "\n"
