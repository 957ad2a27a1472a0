// Experiment: LD_PRELOAD constructor that moves the executable's (and libswiftCore's) text onto anonymous memory
// backed by transparent huge pages, at the same addresses (mremap), to test whether iTLB misses matter.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#define HP (2UL << 20)

static void remap(uintptr_t start, uintptr_t end, const char *name) {
    size_t len = end - start;
    size_t off = start & (HP - 1);
    char *raw = mmap(NULL, len + 2 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("hugetext mmap"); return; }
    uintptr_t base = ((uintptr_t)raw + HP - 1) & ~(HP - 1);
    char *dst = (char *)(base + off);
    madvise(dst, len, MADV_HUGEPAGE);
    memcpy(dst, (void *)start, len);
    if (mprotect(dst, len, PROT_READ | PROT_EXEC) != 0) { perror("hugetext mprotect"); return; }
    void *r = mremap(dst, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start);
    if (r == MAP_FAILED) { perror("hugetext mremap"); return; }
    if (getenv("HUGETEXT_VERBOSE")) fprintf(stderr, "hugetext: %s %#lx-%#lx (%zu KiB) remapped\n", name, start, end, len >> 10);
}

__attribute__((constructor)) static void hugetext_init(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    char line[1024];
    struct { uintptr_t s, e; char n[256]; } todo[8]; int k = 0;
    while (fgets(line, sizeof line, f) && k < 8) {
        uintptr_t s, e; char perm[8]; char path[512] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %511s", &s, &e, perm, path) < 3) continue;
        if (strcmp(perm, "r-xp") != 0) continue;
        if (strstr(path, "/apus") || strstr(path, "libswiftCore.so")) {
            todo[k].s = s; todo[k].e = e; snprintf(todo[k].n, sizeof todo[k].n, "%s", path); k++;
        }
    }
    fclose(f);
    for (int i = 0; i < k; i++) remap(todo[i].s, todo[i].e, todo[i].n);
}
