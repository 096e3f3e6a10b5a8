/* The code objects that Python frames name, and the PYCODE and BYTES sections of a dump.
 *
 * A code object is interned the first time a frame names it: its file, qualified name, first
 * line and line table are copied into atoll's own memory, because a collection may come after
 * the code object is gone and a report must never read a freed one. It is found again by its
 * identity (cpython_code_identity: its address and fields that change when another code
 * object takes that address), so a reused address makes a new entry; and when the code object
 * is freed through atoll (PYTHONMALLOC=malloc), its entry is retired, since those fields can
 * match by chance. File names are interned
 * once each: thousands of code objects share a few hundred files.
 *
 * Entries are never freed or moved, and the count is published after the entry it covers:
 * a snapshot reads entries [0, count) as they are, without the lock. */
#include "internal.h"
#include "snapshot.h"
#include "cpython/cpython.h"

#include <string.h>

struct pyfile {
    uint64_t hash;
    uint32_t len;
    char *text;
};

struct pycode {
    uint64_t identity;
    uint32_t file;                      /* index into files */
    int32_t firstlineno;
    uint32_t qualname_len, table_size;
    char *qualname;
    uint8_t *table;
};

#define DESCRIBE_BYTES (64 * 1024)

static struct pycode *codes;
static uint32_t ncodes, codes_cap;
static struct pyfile *files;
static uint32_t nfiles, files_cap;
static uint32_t *code_slots, *file_slots;   /* open addressing: index + 1, 0 for empty */
static uint32_t code_slots_cap, file_slots_cap;
static char describe_buf[DESCRIBE_BYTES];   /* under the lock */

static uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h | 1;
}

static size_t slot_of(uint64_t h, uint32_t cap)
{
    return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* Doubles an array of entries; the old one stays, since a snapshot may be reading it. */
static void *grow(void *old, uint32_t *cap, size_t elem, uint32_t used)
{
    uint32_t grown = *cap ? *cap * 2 : 256;
    void *fresh = atoll_imeta_calloc((size_t)grown * elem);
    if (!fresh)
        return NULL;
    if (old)
        memcpy(fresh, old, (size_t)used * elem);
    *cap = grown;
    return fresh;
}

/* Rebuilds a slot table at twice the size: hash_of(i) gives entry i's hash. */
static uint32_t *rehash(uint32_t *old, uint32_t *cap, uint32_t n, uint64_t (*hash_of)(uint32_t))
{
    uint32_t oldcap = *cap, grown = oldcap ? oldcap * 2 : 1024;
    uint32_t *fresh = atoll_imeta_calloc((size_t)grown * sizeof *fresh);
    if (!fresh)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        size_t k = slot_of(hash_of(i), grown);
        while (fresh[k])
            k = (k + 1) & (grown - 1);
        fresh[k] = i + 1;
    }
    if (old)
        atoll_imeta_free(old, (size_t)oldcap * sizeof *old);
    *cap = grown;
    return fresh;
}

static uint64_t code_hash(uint32_t i)
{
    return codes[i].identity;
}

static uint64_t file_hash(uint32_t i)
{
    return files[i].hash;
}

static void *copy(const void *src, size_t n)
{
    void *p = atoll_imeta_alloc(n ? n : 1);
    if (p)
        memcpy(p, src, n);
    return p;
}

/* The file's index, interned. */
static uint32_t file_intern(const char *name)
{
    size_t len = strlen(name);
    uint64_t h = text_hash(name, len);
    if (2 * (nfiles + 1) > file_slots_cap &&
        !(file_slots = rehash(file_slots, &file_slots_cap, nfiles, file_hash)))
        return ATOLL_NONE;
    size_t k = slot_of(h, file_slots_cap);
    for (; file_slots[k]; k = (k + 1) & (file_slots_cap - 1)) {
        const struct pyfile *f = &files[file_slots[k] - 1];
        if (f->hash == h && f->len == len && memcmp(f->text, name, len) == 0)
            return file_slots[k] - 1;
    }
    if (nfiles == files_cap) {
        struct pyfile *fresh = grow(files, &files_cap, sizeof *files, nfiles);
        if (!fresh)
            return ATOLL_NONE;
        __atomic_store_n(&files, fresh, __ATOMIC_RELEASE);
    }
    char *text = copy(name, len + 1);
    if (!text)
        return ATOLL_NONE;
    files[nfiles] = (struct pyfile){ h, (uint32_t)len, text };
    file_slots[k] = nfiles + 1;
    __atomic_store_n(&nfiles, nfiles + 1, __ATOMIC_RELEASE);
    return nfiles - 1;
}

/* A new entry for a live code object; ATOLL_NONE when it cannot be described or stored. */
int atoll_pycode_foreign;

/* Whether no other code object can ever take code's address unseen: code is a block of atoll's
 * (its free is seen) or a static object of the interpreter's image. */
static bool freed_in_sight(const void *code)
{
    uintptr_t c = (uintptr_t)code;
    struct atoll_block_meta meta;
    return (c >= atoll_pycode_image_lo && c < atoll_pycode_image_hi) ||
           atoll_block_live(code, &meta);
}

static uint32_t code_add(const void *code, uint64_t identity, size_t k)
{
    if (!atoll_pycode_foreign && !freed_in_sight(code))
        __atomic_store_n(&atoll_pycode_foreign, 1, __ATOMIC_RELAXED);
    struct cpython_code_info info;
    if (cpython_code_describe(code, &info, describe_buf, sizeof describe_buf) != 0)
        return ATOLL_NONE;
    uint32_t file = file_intern(info.filename);
    if (file == ATOLL_NONE)
        return ATOLL_NONE;
    if (ncodes == codes_cap) {
        struct pycode *fresh = grow(codes, &codes_cap, sizeof *codes, ncodes);
        if (!fresh)
            return ATOLL_NONE;
        __atomic_store_n(&codes, fresh, __ATOMIC_RELEASE);
    }
    size_t qlen = strlen(info.qualname);
    char *qualname = copy(info.qualname, qlen + 1);
    uint8_t *table = copy(info.linetable, info.linetable_size);
    if (!qualname || !table)
        return ATOLL_NONE;
    codes[ncodes] = (struct pycode){ identity, file, info.firstlineno, (uint32_t)qlen,
                                     info.linetable_size, qualname, table };
    code_slots[k] = ncodes + 1;
    __atomic_store_n(&ncodes, ncodes + 1, __ATOMIC_RELEASE);
    return ncodes - 1;
}

/* The slot of the entry of that identity, or the empty slot that ends its probe (under the
 * lock, with a table). */
static size_t code_slot(uint64_t identity)
{
    size_t k = slot_of(identity, code_slots_cap);
    while (code_slots[k] && codes[code_slots[k] - 1].identity != identity)
        k = (k + 1) & (code_slots_cap - 1);
    return k;
}

uint32_t atoll_pycode_intern(const void *code, uint64_t identity)
{
    uint32_t id = ATOLL_NONE;
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_PYCODE);
    if (2 * (ncodes + 1) <= code_slots_cap ||
        (code_slots = rehash(code_slots, &code_slots_cap, ncodes, code_hash))) {
        size_t k = code_slot(identity);
        id = code_slots[k] ? code_slots[k] - 1 : code_add(code, identity, k);
    }
    atoll_lock_drop(ATOLL_LOCK_PYCODE);
    atoll_critical_exit();
    return id;
}

/* The code object at code is being freed (its fields still hold what they held): its entry
 * stays, for the sites that name it, but is no longer found by its identity, which a new code
 * object at this address can share (the same file and name, a line table made at the freed
 * one's address) while its lines differ. */
void atoll_pycode_freed(const void *code)
{
    uint64_t identity = cpython_code_identity(code);
    atoll_critical_enter();
    atoll_lock_take(ATOLL_LOCK_PYCODE);
    size_t k = code_slots_cap ? code_slot(identity) : 0;
    if (code_slots_cap && code_slots[k])
        codes[code_slots[k] - 1].identity = ~identity;
    atoll_lock_drop(ATOLL_LOCK_PYCODE);
    atoll_critical_exit();
}

uint32_t atoll_pycode_count(void)
{
    return __atomic_load_n(&ncodes, __ATOMIC_ACQUIRE);
}

/* In the snapshot: each file name and qualified name into STRINGS, before it is written. The
 * offsets go in a fresh array, files first, then one per code object. */
uint32_t *snap_add_pycode_strings(struct snap *s, uint32_t *count)
{
    uint32_t nc = __atomic_load_n(&ncodes, __ATOMIC_ACQUIRE);
    uint32_t nf = __atomic_load_n(&nfiles, __ATOMIC_ACQUIRE);
    *count = nc;
    if (!nc)
        return NULL;
    uint32_t *off = cmem_alloc(((size_t)nf + nc) * sizeof *off);
    if (!off) {
        *count = 0;
        return NULL;
    }
    for (uint32_t i = 0; i < nf; i++)
        off[i] = snap_add_string(s, files[i].text, files[i].len);
    for (uint32_t i = 0; i < nc; i++)
        off[nf + i] = snap_add_string(s, codes[i].qualname, codes[i].qualname_len);
    return off;
}

/* PYCODE and BYTES, for the first count code objects (off from snap_add_pycode_strings). */
void snap_write_pycode(struct dump_out *w, const uint32_t *off, uint32_t count)
{
    uint32_t nf = __atomic_load_n(&nfiles, __ATOMIC_ACQUIRE);
    dump_out_begin(w, ATOLL_DUMP_SEC_PYCODE, sizeof(struct atoll_dump_pycode));
    uint64_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        const struct pycode *c = &codes[i];
        struct atoll_dump_pycode r = { .filename = off[c->file], .qualname = off[nf + i],
                                       .firstlineno = c->firstlineno,
                                       .version = cpython_frames_version(),
                                       .linetable = at, .linetable_size = c->table_size };
        dump_out_put(w, &r, sizeof r);
        at += c->table_size;
    }
    dump_out_end(w);
    dump_out_begin(w, ATOLL_DUMP_SEC_BYTES, 1);
    for (uint32_t i = 0; i < count; i++)
        dump_out_put(w, codes[i].table, codes[i].table_size);
    dump_out_end(w);
}
