/* A TCP server on a loopback port of the kernel's choosing (written to the file argv[1]) that
 * leaks one 3-block ring per "leak" request and exits on "quit". Each request also allocates
 * and frees a buffer, so collections see churn besides the leak. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct node {
    struct node *next;
    char payload[24];
};

/* noinline, so no pointer to the ring outlives this frame in main's registers */
__attribute__((noinline)) static void make_ring(void)
{
    struct node *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *c = calloc(1, sizeof *c);
    a->next = b;
    b->next = c;
    c->next = a;
    /* the ring is never read: without this the compiler drops the allocations */
    __asm__ volatile("" : : "r"(a) : "memory");
}

__attribute__((noinline)) static void churn(const char *req)
{
    char *copy = strdup(req);
    __asm__ volatile("" : : "r"(copy) : "memory");
    free(copy);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: leakserver PORTFILE\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) || listen(s, 16) ||
        getsockname(s, (struct sockaddr *)&addr, &len)) {
        perror("leakserver");
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        char req[64] = {0};
        ssize_t n = read(c, req, sizeof req - 1);
        int quit = n > 0 && strncmp(req, "quit", 4) == 0;
        if (n > 0 && strncmp(req, "leak", 4) == 0) {
            make_ring();
            churn(req);
        }
        if (write(c, "ok\n", 3) != 3)
            perror("leakserver: write");
        close(c);
        if (quit)
            break;
    }
    close(s);
    return 0;
}
