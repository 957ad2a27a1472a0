/* dispatch_main for programs run under valgrind 3.19 (which stops when the main thread leaves through pthread_exit,
 * as the real dispatch_main does): the main thread stays and drains the main queue itself, as a run loop would. */
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
extern int _dispatch_get_main_queue_handle_4CF(void);
extern void _dispatch_main_queue_callback_4CF(void *msg);
void dispatch_main(void) {
    int fd = _dispatch_get_main_queue_handle_4CF();
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        poll(&p, 1, 100);
        uint64_t value;
        if (p.revents & POLLIN) (void)!read(fd, &value, sizeof value);
        _dispatch_main_queue_callback_4CF(0);
    }
}
