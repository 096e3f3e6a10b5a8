/* The dump file format, shared by the recorder (preload/) and the reader (analyzer/).
 * docs/dump-format.md is the reference; this header is its C transcription.
 *
 * A dump is little-endian: a 64-byte header, sections of fixed-size records (or bytes), and a
 * table of sections, each with a CRC32C. It holds addresses, sizes and stacks, never the
 * contents of the heap. */
#ifndef ATOLL_DUMP_H
#define ATOLL_DUMP_H

#include <stdint.h>

#define ATOLL_DUMP_MAGIC "ATOLLDMP" /* 8 bytes, no terminating NUL */
#define ATOLL_DUMP_VERSION 2         /* 2 added PYCODE, BYTES, LABELS and Python frames; readers
                                        * take 1 too */
#define ATOLL_DUMP_VERSION_MIN 1

struct atoll_dump_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;           /* 64 */
    uint64_t file_size;
    uint64_t section_table_offset;
    uint32_t section_count;
    uint32_t section_entry_size;    /* 32 */
    uint32_t table_crc;             /* CRC32C of the section table */
    uint32_t header_crc;            /* CRC32C of bytes 0..43 of this header */
    uint8_t reserved[16];           /* zero */
};

enum atoll_dump_section_type {
    ATOLL_DUMP_SEC_PROCESS = 1,          /* one struct atoll_dump_process */
    ATOLL_DUMP_SEC_STRINGS = 2,          /* NUL-terminated strings, referenced by byte offset */
    ATOLL_DUMP_SEC_MODULES = 3,          /* struct atoll_dump_module */
    ATOLL_DUMP_SEC_THREADS = 4,          /* struct atoll_dump_thread */
    ATOLL_DUMP_SEC_FRAMES = 5,           /* uint64_t return addresses, innermost first per site */
    ATOLL_DUMP_SEC_SITES = 6,            /* struct atoll_dump_site */
    ATOLL_DUMP_SEC_BLOCKS = 7,           /* struct atoll_dump_block, sorted by address */
    ATOLL_DUMP_SEC_EDGES = 8,            /* struct atoll_dump_edge, sorted by (from, offset) */
    ATOLL_DUMP_SEC_ROOTS = 9,            /* struct atoll_dump_root */
    ATOLL_DUMP_SEC_OBJECTS = 10,         /* struct atoll_dump_object, sorted by block (optional) */
    ATOLL_DUMP_SEC_PYCODE = 11,          /* struct atoll_dump_pycode: what Python frames name (optional) */
    ATOLL_DUMP_SEC_BYTES = 12,           /* raw bytes referenced by offset: line tables (optional) */
    ATOLL_DUMP_SEC_LABELS = 13,          /* struct atoll_dump_label, sorted by (from, offset) (optional) */
    ATOLL_DUMP_SEC_STACKFRAMES = 14,     /* struct atoll_dump_stackframe, by (thread, depth) (optional) */
};

struct atoll_dump_section {
    uint32_t type;
    uint32_t record_size;           /* bytes per record; 1 for STRINGS */
    uint64_t offset;                /* from the start of the file, 8-aligned */
    uint64_t size;                  /* bytes; a multiple of record_size */
    uint32_t crc;                   /* CRC32C of the section's bytes */
    uint32_t reserved;
};

enum atoll_dump_trigger {
    ATOLL_DUMP_TRIGGER_EXIT = 0,
    ATOLL_DUMP_TRIGGER_SIGNAL = 1,
    ATOLL_DUMP_TRIGGER_API = 2,          /* atoll_collect() */
    ATOLL_DUMP_TRIGGER_THRESHOLD = 3,
    ATOLL_DUMP_TRIGGER_DUMP = 4,         /* atoll_dump() */
};

struct atoll_dump_process {
    uint32_t pid;
    uint32_t ppid;
    uint64_t time_ns;               /* CLOCK_REALTIME when the collection started */
    uint32_t trigger;               /* enum atoll_dump_trigger */
    uint32_t generation;            /* blocks of generations 0..generation are in the dump */
    uint32_t threshold[3];
    uint32_t collection;            /* 1 for the process's first collection, then 2, ... */
    uint32_t exe;                   /* string offset: /proc/self/exe */
    uint32_t argc;
    uint32_t argv;                  /* string offset of argv[0]; argv[i+1] follows argv[i]'s NUL */
    uint32_t stack_depth;           /* ATOLL_STACK_DEPTH */
    uint64_t pause_ns;              /* the application was stopped this long */
    uint64_t heap_blocks;           /* live blocks in the whole heap, dumped or not */
    uint64_t heap_bytes;
    uint64_t flags;                 /* zero */
    uint64_t reserved;              /* zero */
};

/* A loaded ELF object. An address a inside [start, end) is the file's virtual address
 * a - bias (the load bias; 0 for a non-PIE executable). */
struct atoll_dump_module {
    uint64_t bias;
    uint64_t start;
    uint64_t end;
    uint32_t path;                  /* string offset */
    uint32_t build_id_size;         /* bytes used in build_id; 0 if the file has none */
    uint8_t build_id[32];
};

enum atoll_dump_thread_flags {
    ATOLL_DUMP_THREAD_STOPPED = 1,       /* registers saved at a safe point, stack scanned from sp */
    ATOLL_DUMP_THREAD_MAIN = 2,
    ATOLL_DUMP_THREAD_WHOLE_STACK = 4,   /* could not be stopped in time: whole stack scanned */
};

struct atoll_dump_thread {
    uint32_t tid;
    uint32_t flags;                 /* enum atoll_dump_thread_flags */
    uint64_t stack_lo;
    uint64_t stack_hi;
    uint64_t sp;
};

struct atoll_dump_site {
    uint32_t first_frame;           /* index into FRAMES */
    uint32_t depth;                 /* frames; site 0 is the unknown site, depth 0 */
};

/* A FRAMES value with this bit set is a Python frame: bits 32..62 index PYCODE, bits 0..31 are
 * the byte offset of the instruction the frame was executing (CPython's PyCode_Addr2Line
 * argument). A site's Python frames come first, innermost first, then its native frames. */
#define ATOLL_DUMP_FRAME_PYTHON (1ull << 63)

/* A Python code object, copied when a frame first named it (it may be gone by the dump). */
struct atoll_dump_pycode {
    uint32_t filename;              /* string offset: co_filename */
    uint32_t qualname;              /* string offset: co_qualname (3.11+), co_name before */
    int32_t firstlineno;            /* co_firstlineno */
    uint32_t version;               /* the interpreter's, 0x030b for 3.11: how to read the table */
    uint64_t linetable;             /* offset into BYTES: co_lnotab (3.8, 3.9), co_linetable after */
    uint32_t linetable_size;        /* bytes */
    uint32_t reserved;              /* zero */
};

enum atoll_dump_block_flags {
    ATOLL_DUMP_BLOCK_LARGE = 1,          /* from the C library's allocator (above ATOLL_SMALL_MAX) */
    ATOLL_DUMP_BLOCK_IGNORED = 2,        /* atoll_ignore(): never reported */
    ATOLL_DUMP_BLOCK_LOADER = 4,         /* the dynamic loader's bookkeeping: a root */
};

struct atoll_dump_block {
    uint64_t address;
    uint64_t size;                  /* requested size */
    uint64_t seq;                   /* allocation sequence number, from 1 */
    uint32_t site;                  /* index into SITES */
    uint32_t refcount;              /* shadow refcount: references found to it, from anywhere */
    uint8_t generation;
    uint8_t flags;                  /* enum atoll_dump_block_flags */
    uint8_t reserved[6];
};

struct atoll_dump_edge {
    uint32_t from;                  /* block index */
    uint32_t to;                    /* block index */
    uint64_t offset;                /* byte offset of the pointer inside block `from` */
};

enum atoll_dump_root_kind {
    ATOLL_DUMP_ROOT_STACK = 1,           /* index: thread; where: address of the word */
    ATOLL_DUMP_ROOT_REGISTER = 2,        /* index: thread; where: register number (DWARF x86-64) */
    ATOLL_DUMP_ROOT_GLOBAL = 3,          /* index: module; where: address of the word */
    ATOLL_DUMP_ROOT_TLS = 4,             /* index: thread; where: address of the word */
    ATOLL_DUMP_ROOT_MAPPING = 5,         /* index: 0; where: address of the word (other mapping) */
    ATOLL_DUMP_ROOT_LOADER = 6,          /* index: 0; where: 0 (the target is loader bookkeeping) */
    ATOLL_DUMP_ROOT_IGNORED = 7,         /* index: 0; where: 0 (the target was atoll_ignore()d) */
};

struct atoll_dump_root {
    uint32_t kind;                  /* enum atoll_dump_root_kind */
    uint32_t index;
    uint64_t where;
    uint32_t target;                /* block index */
    uint32_t reserved;
};

/* Blocks recognised as objects of a refcounting runtime, and the blocks they own. */
enum atoll_dump_runtime {
    ATOLL_DUMP_RUNTIME_CPYTHON = 1,
    ATOLL_DUMP_RUNTIME_GOBJECT = 2,
    ATOLL_DUMP_RUNTIME_SHARED_PTR = 3,   /* a libstdc++ shared_ptr control block */
    ATOLL_DUMP_RUNTIME_ANNOTATED = 4,    /* declared through atoll_annotate() */
};

/* An object: owner == block, refcount is the count the runtime keeps in it, and only pointers to
 * its start (block address + offset) are references to it. An owned block (an item array, a
 * table): owner is the object's block and only the owner's reference to it counts; the
 * references it holds are the owner's. */
struct atoll_dump_object {
    uint32_t block;                 /* BLOCKS index */
    uint32_t owner;                 /* BLOCKS index of the object (block itself for an object) */
    uint32_t type;                  /* string offset: the type's name; "" for an owned block */
    uint16_t runtime;               /* enum atoll_dump_runtime */
    uint16_t offset;                /* the object's start inside its block */
    uint64_t refcount;              /* the runtime's count (objects); 0 for an owned block */
    uint64_t weak;                  /* references the runtime counts apart: weak ones (shared_ptr) */
};

/* How a reference between objects is spelled in the runtime's language (Python's). */
enum atoll_dump_label_kind {
    ATOLL_DUMP_LABEL_ATTRIBUTE = 1,      /* text: the attribute's name, shown ".name" */
    ATOLL_DUMP_LABEL_INDEX = 2,          /* index: the item's position, shown "[i]" */
    ATOLL_DUMP_LABEL_KEY = 3,            /* text: the key's repr (truncated), shown "[repr]" */
    ATOLL_DUMP_LABEL_OTHER = 4,          /* text: shown as it is ("<closure>", "<cell>", ...) */
};

/* The label of the EDGES record with the same (from, offset). */
struct atoll_dump_label {
    uint32_t from;                  /* block index, as in EDGES */
    uint32_t kind;                  /* enum atoll_dump_label_kind */
    uint64_t offset;                /* as in EDGES */
    uint32_t text;                  /* string offset (ATTRIBUTE, KEY, OTHER); 0 for INDEX */
    uint32_t index;                 /* INDEX: the position; 0 otherwise */
};

/* One frame of a stopped thread's stack at the collection, innermost (depth 0) first: its
 * slots are [the previous frame's cfa (the thread's sp for depth 0), cfa). */
struct atoll_dump_stackframe {
    uint32_t thread;                /* THREADS index */
    uint32_t depth;                 /* 0 for the frame the thread was stopped in */
    uint64_t pc;                    /* depth 0: where it was stopped; else the return address */
    uint64_t cfa;                   /* the frame's canonical frame address (its caller's sp) */
};

_Static_assert(sizeof(struct atoll_dump_header) == 64, "header layout");
_Static_assert(sizeof(struct atoll_dump_section) == 32, "section layout");
_Static_assert(sizeof(struct atoll_dump_process) == 96, "process layout");
_Static_assert(sizeof(struct atoll_dump_module) == 64, "module layout");
_Static_assert(sizeof(struct atoll_dump_thread) == 32, "thread layout");
_Static_assert(sizeof(struct atoll_dump_site) == 8, "site layout");
_Static_assert(sizeof(struct atoll_dump_block) == 40, "block layout");
_Static_assert(sizeof(struct atoll_dump_edge) == 16, "edge layout");
_Static_assert(sizeof(struct atoll_dump_root) == 24, "root layout");
_Static_assert(sizeof(struct atoll_dump_object) == 32, "object layout");
_Static_assert(sizeof(struct atoll_dump_pycode) == 32, "pycode layout");
_Static_assert(sizeof(struct atoll_dump_label) == 24, "label layout");
_Static_assert(sizeof(struct atoll_dump_stackframe) == 24, "stack frame layout");

#endif
