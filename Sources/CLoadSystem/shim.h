// Linux system calls the load generator's raw event loop needs and Swift's Glibc module does not export
// (epoll, eventfd). Header-only: everything lives in libc.
#ifndef CLOADSYSTEM_SHIM_H
#define CLOADSYSTEM_SHIM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>
#include <stdint.h>

static inline int CLoadSystem_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int CLoadSystem_epoll_ctl(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = 0;
    event.data.fd = fd;
    return epoll_ctl(epfd, op, fd, &event);
}

/// Waits for events; writes the ready descriptors and their event masks into the two arrays.
static inline int CLoadSystem_epoll_wait(int epfd, int *fds, uint32_t *masks, int capacity, int timeout) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, events, capacity, timeout);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        masks[i] = events[i].events;
    }
    return count;
}

static inline int CLoadSystem_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static const uint32_t CLoadSystem_EPOLLIN = EPOLLIN;
static const uint32_t CLoadSystem_EPOLLOUT = EPOLLOUT;
static const uint32_t CLoadSystem_EPOLLERR = EPOLLERR;
static const uint32_t CLoadSystem_EPOLLHUP = EPOLLHUP;
static const int CLoadSystem_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CLoadSystem_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CLoadSystem_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

#endif
