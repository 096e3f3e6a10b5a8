/* A guest's manners: a program that leaks on request, so that guest.sh can check what the
 * preloaded library writes, and where. "clean" frees everything; "leak" drops a two-block
 * cycle; "fork" makes the child drop one too and waits for it; "inherit" forks a child that
 * drops nothing of its own and ends; "exec" drops one and runs
 * itself again in a child as "leak" (a fork+exec chain for `atoll run`). It prints its pid (and
 * its child's), which name the ATOLL_LOG files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void drop_cycle(void)
{
    void **a = malloc(32), **b = malloc(32);
    if (!a || !b)
        exit(1);
    *a = b;
    *b = a;
    /* Clear the registers' and stack's last copies: the cycle must be unreachable. */
    a = b = NULL;
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "clean";
    if (strcmp(what, "clean") == 0) {
        free(malloc(40));
        printf("pid %d\n", (int)getpid());
        return 0;
    }
    drop_cycle();
    if (strcmp(what, "fork") != 0 && strcmp(what, "exec") != 0 && strcmp(what, "inherit") != 0) {
        printf("pid %d\n", (int)getpid());
        return 0;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0)
        return 1;
    if (child == 0 && strcmp(what, "exec") == 0) {
        execl("/proc/self/exe", argv[0], "leak", (char *)NULL);
        _exit(127);
    }
    if (child == 0) {
        if (strcmp(what, "fork") == 0)
            drop_cycle();
        return 0;
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
        return 1;
    printf("pid %d child %d\n", (int)getpid(), (int)child);
    return 0;
}
