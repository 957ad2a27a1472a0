// CLinux: Linux calls that Swift's Glibc module leaves out: fallocate, sync_file_range, pthread_setname_np and the
// SCHED_IDLE policy (glibc declares them only under _GNU_SOURCE), the timerfd calls (<sys/timerfd.h>, not in the
// module), and sched_setattr (no glibc wrapper before 2.41) for a thread's time slice.
#ifndef APUS_CLINUX_H
#define APUS_CLINUX_H
#include <sys/types.h>
#ifdef __linux__
#include <sys/timerfd.h> /* timerfd_create, timerfd_settime: the bench's pacing clock */
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <unistd.h>
#endif

#ifdef __linux__
/// fallocate(2): allocates (mode 0: and extends the file over) [offset, offset + len). 0, or -1 with errno set.
extern int fallocate(int fd, int mode, off_t offset, off_t len);
/// sync_file_range(2): with SYNC_FILE_RANGE_WRITE (2), starts writeback of the dirty pages of the range, without waiting.
extern int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags);
/// pthread_setname_np(3): names a thread (at most 15 bytes; a longer name is refused with ERANGE).
extern int pthread_setname_np(pthread_t thread, const char *name);
/// SCHED_IDLE for sched_setscheduler(2): the thread runs only when nothing else wants its CPU.
#define APUS_SCHED_IDLE 5

/// sched_setattr(2) for the calling thread: SCHED_OTHER at its current nice, asking for a time slice of `slice_ns`
/// (0: the kernel's default). Linux 6.12 and later take it as the thread's EEVDF request (clamped to 0.1–100 ms): a
/// woken thread with a shorter request than the running one's preempts it. Earlier kernels ignore it. No privilege is
/// needed. 0, or -1 with errno set.
static inline int apus_request_slice(uint64_t slice_ns) {
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } attr = {0};
    attr.size = sizeof attr;
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    if (nice == -1 && errno != 0) return -1;
    attr.nice = nice;
    attr.runtime = slice_ns;
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}
#endif
#endif
