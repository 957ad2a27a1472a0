// CLinux: Linux calls that Swift's Glibc module leaves out: fallocate, sync_file_range, pthread_setname_np and the
// SCHED_IDLE policy (glibc declares them only under _GNU_SOURCE) and the timerfd calls (<sys/timerfd.h>, not in the
// module).
#ifndef APUS_CLINUX_H
#define APUS_CLINUX_H
#include <sys/types.h>
#ifdef __linux__
#include <sys/timerfd.h> /* timerfd_create, timerfd_settime: the bench's pacing clock */
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
#endif
#endif
