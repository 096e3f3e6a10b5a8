"""A Python program that leaks the way a buggy C extension does: structs from the C library's
malloc, linked through raw pointers, then forgotten. Python's own objects are freed or collected
by Python; these are not, and `atoll run` reports them as a C program's leaks would be:

- one 100-byte buffer, lost;
- a linked list of 10 nodes of 32 bytes: its head definitely lost, the other 9 indirectly;
- 50 rings of 3 nodes: 50 isolated cycles of one shape.

(Python's own objects are read with their reference counts, and this script leaves none in a
cycle: examples/cycles.py does.)
"""
import ctypes

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]


class Node(ctypes.Structure):
    _fields_ = [("next", ctypes.c_void_p), ("payload", ctypes.c_char * 24)]


def node(nxt):
    address = libc.malloc(ctypes.sizeof(Node))
    Node.from_address(address).next = nxt
    return address


def ring(length):
    first = node(None)
    last = first
    for _ in range(length - 1):
        last = node(last)
    Node.from_address(first).next = last
    return first


def leak():
    libc.malloc(100)
    head = None
    for _ in range(10):
        head = node(head)
    for _ in range(50):
        ring(3)


leak()
print("leaky.py: leaked a buffer, a list of 10 nodes and 50 rings of 3")
