/* Whether atoll tune's PROGRAM is CPython, which makes the interpreter's collector the default
 * target: the program is looked up in PATH as execvp would, a script's "#!" line is followed
 * (through env), and the executable is CPython when it exports Py_BytesMain (Debian's python3
 * links libpython in) or needs a libpython3 (pyenv's builds), as the preload finds the
 * interpreter by its exported symbols rather than by the executable's name. A script run by
 * something else (pyenv's shims are bash scripts that exec the interpreter they choose) is
 * judged by its name: python, python3 or python3.N. */
#include "tune.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* prog as execvp finds it, in out; false when it is nowhere executable. */
static bool find_in_path(const char *prog, char *out, size_t len)
{
    if (strchr(prog, '/')) {
        snprintf(out, len, "%s", prog);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%.2000s/%.2000s", *d ? d : ".", prog);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

static bool elf_is_cpython(int fd)
{
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    bool found = false;
    for (Elf_Scn *scn = NULL; e && !found && (scn = elf_nextscn(e, scn));) {
        GElf_Shdr sh;
        Elf_Data *data;
        if (!gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)))
            continue;
        if (sh.sh_type == SHT_DYNSYM) {
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; i < n && !found; i++) {
                GElf_Sym sym;
                const char *name;
                found = gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
                        (name = elf_strptr(e, sh.sh_link, sym.st_name)) &&
                        strcmp(name, "Py_BytesMain") == 0;
            }
        } else if (sh.sh_type == SHT_DYNAMIC) {
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; i < n && !found; i++) {
                GElf_Dyn dyn;
                const char *name;
                found = gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_NEEDED &&
                        (name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)) &&
                        strncmp(name, "libpython3", 10) == 0;
            }
        }
    }
    if (e)
        elf_end(e);
    return found;
}

static bool named_python(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "python", 6) != 0)
        return false;
    return strspn(base + 6, "0123456789.") == strlen(base + 6);
}

bool tune_is_cpython(const char *prog)
{
    char path[4096], next[4096];
    for (int depth = 0; depth < 4 && find_in_path(prog, path, sizeof path); depth++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char head[512];
        ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof head - 1, 0);
        if (n >= 4 && memcmp(head, "\177ELF", 4) == 0) {
            bool yes = elf_is_cpython(fd);
            close(fd);
            return yes;
        }
        if (fd >= 0)
            close(fd);
        if (n < 2 || head[0] != '#' || head[1] != '!')
            return false;
        /* "#!INTERP [ARG]": env's first argument is the program it runs */
        head[n] = 0;
        head[strcspn(head, "\r\n")] = 0;
        char *save = NULL, *interp = strtok_r(head + 2, " \t", &save);
        char *arg = interp ? strtok_r(NULL, " \t", &save) : NULL;
        if (!interp)
            return false;
        const char *base = strrchr(interp, '/');
        if (strcmp(base ? base + 1 : interp, "env") == 0 && arg && *arg != '-')
            interp = arg;
        if (strncmp(strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp, "python", 6))
            return named_python(path);
        snprintf(next, sizeof next, "%s", interp);
        prog = next;
    }
    return false;
}
