/* Writing a dump (docs/dump-format.md): the sections in order, each 8-aligned and checksummed,
 * then the section table, then the header. write(2) only: no stdio in the snapshot. */
#include "snapshot.h"
#include "world.h"

#include <atoll/crc32c.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NSECTIONS 9

struct writer {
    int fd;
    uint64_t pos;
    int failed;
};

static void put(struct writer *w, const void *data, size_t n)
{
    const char *p = data;
    while (n && !w->failed) {
        ssize_t got = write(w->fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            w->failed = errno ? errno : EIO;
            return;
        }
        p += got;
        n -= (size_t)got;
        w->pos += (uint64_t)got;
    }
}

static void section(struct writer *w, struct atoll_dump_section *sec, uint32_t type,
                    uint32_t record_size, const void *data, size_t bytes)
{
    static const char zeros[8];
    if (w->pos % 8)
        put(w, zeros, 8 - w->pos % 8);
    sec->type = type;
    sec->record_size = record_size;
    sec->offset = w->pos;
    sec->size = bytes;
    sec->crc = atoll_crc32c(data, bytes);
    sec->reserved = 0;
    put(w, data, bytes);
}

static void *frames_and_sites(uint32_t nsites, struct atoll_dump_site **sites, size_t *nframes)
{
    *nframes = 0;
    for (uint32_t id = 1; id < nsites; id++) {
        uint32_t depth;
        atoll_site_frames(id, &depth);
        *nframes += depth;
    }
    uint64_t *frames = cmem_alloc((*nframes + 1) * sizeof *frames);
    *sites = cmem_alloc(((size_t)nsites + 1) * sizeof **sites);
    if (!frames || !*sites)
        return NULL;
    size_t f = 0;
    for (uint32_t id = 1; id < nsites; id++) {
        uint32_t depth;
        void *const *fr = atoll_site_frames(id, &depth);
        (*sites)[id].first_frame = (uint32_t)f;
        (*sites)[id].depth = depth;
        for (uint32_t k = 0; k < depth; k++)
            frames[f++] = (uint64_t)(uintptr_t)fr[k];
    }
    return frames;
}

int snap_write_dump(struct snap *s, const char *path, const struct atoll_dump_process *proc,
                    uint64_t *bytes_written)
{
    int fd = (int)syscall(SYS_open, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0600);
    if (fd < 0)
        return errno;
    struct writer w = { fd, 0, 0 };
    struct atoll_dump_header h;
    memset(&h, 0, sizeof h);
    put(&w, &h, sizeof h);

    struct atoll_dump_thread *threads = cmem_alloc((atoll_world.nthreads + 1) * sizeof *threads);
    uint32_t nthreads = 0;
    for (uint32_t t = 0; threads && t < atoll_world.nthreads && t < ATOLL_WORLD_MAX_THREADS; t++) {
        const struct atoll_world_thread *src = &atoll_world.threads[t];
        struct atoll_dump_thread *d = &threads[nthreads++];
        d->tid = src->tid;
        d->flags = src->flags | (src->tid == proc->pid ? ATOLL_DUMP_THREAD_MAIN : 0);
        d->sp = src->sp;
        for (size_t i = 0; i < s->nmaps; i++)
            if (src->sp >= s->maps[i].start && src->sp < s->maps[i].end) {
                d->stack_lo = s->maps[i].start;
                d->stack_hi = s->maps[i].end;
            }
    }
    uint32_t nsites = atoll_site_count();
    struct atoll_dump_site *sites = NULL;
    size_t nframes;
    uint64_t *frames = frames_and_sites(nsites, &sites, &nframes);
    if (!frames || !threads) {
        close(fd);
        return ENOMEM;
    }

    struct atoll_dump_section secs[NSECTIONS];
    section(&w, &secs[0], ATOLL_DUMP_SEC_PROCESS, sizeof *proc, proc, sizeof *proc);
    section(&w, &secs[1], ATOLL_DUMP_SEC_STRINGS, 1, s->strings.data, s->strings.len);
    section(&w, &secs[2], ATOLL_DUMP_SEC_MODULES, sizeof(struct atoll_dump_module),
            s->modules.data, s->modules.len * sizeof(struct atoll_dump_module));
    section(&w, &secs[3], ATOLL_DUMP_SEC_THREADS, sizeof *threads, threads,
            nthreads * sizeof *threads);
    section(&w, &secs[4], ATOLL_DUMP_SEC_FRAMES, 8, frames, nframes * 8);
    section(&w, &secs[5], ATOLL_DUMP_SEC_SITES, sizeof *sites, sites,
            (size_t)(nsites ? nsites : 1) * sizeof *sites);
    section(&w, &secs[6], ATOLL_DUMP_SEC_BLOCKS, sizeof *s->blocks, s->blocks,
            (size_t)s->nblocks * sizeof *s->blocks);
    section(&w, &secs[7], ATOLL_DUMP_SEC_EDGES, sizeof(struct atoll_dump_edge), s->edges.data,
            s->edges.len * sizeof(struct atoll_dump_edge));
    section(&w, &secs[8], ATOLL_DUMP_SEC_ROOTS, sizeof(struct atoll_dump_root), s->roots.data,
            s->roots.len * sizeof(struct atoll_dump_root));
    static const char zeros[8];
    if (w.pos % 8)
        put(&w, zeros, 8 - w.pos % 8);
    h.section_table_offset = w.pos;
    put(&w, secs, sizeof secs);
    memcpy(h.magic, ATOLL_DUMP_MAGIC, 8);
    h.version = ATOLL_DUMP_VERSION;
    h.header_size = sizeof h;
    h.file_size = w.pos;
    h.section_count = NSECTIONS;
    h.section_entry_size = sizeof(struct atoll_dump_section);
    h.table_crc = atoll_crc32c(secs, sizeof secs);
    h.header_crc = atoll_crc32c(&h, 44);
    if (!w.failed && pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        w.failed = errno ? errno : EIO;
    if (close(fd) != 0 && !w.failed)
        w.failed = errno;
    *bytes_written = w.pos;
    if (w.failed)
        unlink(path);
    return w.failed;
}
