// CLinux: Linux calls that Swift's Glibc module leaves out: fallocate (glibc declares it only under _GNU_SOURCE) and
// the timerfd calls (<sys/timerfd.h>, not in the module).
#ifndef APUS_CLINUX_H
#define APUS_CLINUX_H
#include <sys/types.h>
#ifdef __linux__
#include <sys/timerfd.h> /* timerfd_create, timerfd_settime: the bench's pacing clock */
#endif

#ifdef __linux__
/// fallocate(2): allocates (mode 0: and extends the file over) [offset, offset + len). 0, or -1 with errno set.
extern int fallocate(int fd, int mode, off_t offset, off_t len);
#endif
#endif
