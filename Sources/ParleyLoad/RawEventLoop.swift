internal import CLoadSystem

#if canImport(Glibc)
import Glibc
#endif

/// The generator's own event loop for plain TCP: one thread, level-triggered epoll, descriptors dispatched through
/// an array indexed by file descriptor, timers in a heap, and an eventfd to take work from other threads.
///
/// Why not NIO here: a NIO client channel costs tens of microseconds of user time to create (bootstrap, futures,
/// pipeline) and several extra system calls (`getsockname`, `getpeername`, repeated `epoll_ctl`). The generator's
/// budget for a whole login and join is of that order, so the plain-TCP clients run on this loop instead; TLS,
/// WebSocket and BOSH, where the protocol work dominates, stay on NIO.
final class RawEventLoop: LoadEventLoop, @unchecked Sendable {
    // @unchecked Sendable: `execute` and `submitAndWait` only touch `incoming` under `lock` and write to the
    // eventfd; every other property is used by the loop's thread alone.

    /// Handles readiness of one descriptor.
    protocol Handler: AnyObject {
        func handle(events: UInt32)
    }

    private let epoll: Int32
    private let wake: Int32
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private var incoming: [@Sendable () -> Void] = []
    private var timers = TimerQueue()
    private var handlers: [(any Handler)?] = []
    private var stopping = false
    private var thread: pthread_t?
    /// One buffer shared by every read on this loop (reads are consumed before the next one).
    let readBuffer: UnsafeMutableRawBufferPointer

    init() throws {
        self.epoll = CLoadSystem_epoll_create()
        self.wake = CLoadSystem_eventfd()
        guard self.epoll >= 0, self.wake >= 0 else { throw RawSocketError(errno: errno, operation: "epoll") }
        self.lock = .allocate(capacity: 1)
        pthread_mutex_init(self.lock, nil)
        self.readBuffer = .allocate(byteCount: 256 * 1024, alignment: 16)
        _ = CLoadSystem_epoll_ctl(self.epoll, CLoadSystem_EPOLL_CTL_ADD, self.wake, CLoadSystem_EPOLLIN)
    }

    deinit {
        close(self.epoll)
        close(self.wake)
        pthread_mutex_destroy(self.lock)
        self.lock.deallocate()
        self.readBuffer.deallocate()
    }

    /// Starts the loop's thread.
    func start(name: String) {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(
            &thread,
            nil,
            { argument in
                let loop = Unmanaged<RawEventLoop>.fromOpaque(argument!).takeRetainedValue()
                loop.run()
                return nil
            },
            box.toOpaque()
        )
        self.thread = thread
        _ = name
    }

    /// Stops the loop and waits for its thread.
    func shutdown() {
        self.execute { [self] in self.stopping = true }
        if let thread = self.thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    // MARK: - LoadEventLoop

    func execute(_ task: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(self.lock)
        self.incoming.append(task)
        pthread_mutex_unlock(self.lock)
        var one: UInt64 = 1
        _ = write(self.wake, &one, 8)
    }

    func submitAndWait<T: Sendable>(_ task: @escaping @Sendable () -> T) throws -> T {
        let result = ResultBox<T>()
        self.execute {
            result.set(task())
        }
        return result.wait()
    }

    func schedule(afterNanoseconds delay: UInt64, _ task: @escaping () -> Void) {
        self.timers.push(deadline: LoadClock.now() &+ delay, task)
    }

    // MARK: - Descriptors

    /// Watches `fd` for `events` (level-triggered) and sends them to `handler`.
    func register(_ fd: Int32, events: UInt32, handler: any Handler) throws {
        let index = Int(fd)
        if index >= self.handlers.count {
            self.handlers.append(contentsOf: repeatElement(nil, count: index + 1024 - self.handlers.count))
        }
        self.handlers[index] = handler
        if CLoadSystem_epoll_ctl(self.epoll, CLoadSystem_EPOLL_CTL_ADD, fd, events) != 0 {
            self.handlers[index] = nil
            throw RawSocketError(errno: errno, operation: "epoll_ctl")
        }
    }

    func modify(_ fd: Int32, events: UInt32) {
        _ = CLoadSystem_epoll_ctl(self.epoll, CLoadSystem_EPOLL_CTL_MOD, fd, events)
    }

    /// Forgets `fd`; the caller closes it (which also removes it from epoll).
    func unregister(_ fd: Int32) {
        let index = Int(fd)
        if index < self.handlers.count { self.handlers[index] = nil }
    }

    static var readable: UInt32 { CLoadSystem_EPOLLIN }
    static var writable: UInt32 { CLoadSystem_EPOLLOUT }
    static var failed: UInt32 { CLoadSystem_EPOLLERR | CLoadSystem_EPOLLHUP }

    // MARK: - The loop

    private func run() {
        var fds = [Int32](repeating: 0, count: 256)
        var masks = [UInt32](repeating: 0, count: 256)
        while !self.stopping {
            var timeout: Int32 = -1
            if let next = self.timers.nextDeadline {
                let now = LoadClock.now()
                timeout = next <= now ? 0 : Int32(clamping: (next - now + 999_999) / 1_000_000)
            }
            let count = fds.withUnsafeMutableBufferPointer { fdBuffer in
                masks.withUnsafeMutableBufferPointer { maskBuffer in
                    CLoadSystem_epoll_wait(self.epoll, fdBuffer.baseAddress, maskBuffer.baseAddress, 256, timeout)
                }
            }
            if count > 0 {
                for index in 0..<Int(count) {
                    let fd = fds[index]
                    if fd == self.wake {
                        self.drainIncoming()
                    } else if Int(fd) < self.handlers.count, let handler = self.handlers[Int(fd)] {
                        handler.handle(events: masks[index])
                    }
                }
            }
            // One timer at a time: a task may schedule another (exclusive access to `timers` ends before it runs).
            let now = LoadClock.now()
            var budget = self.timers.count
            while budget > 0, let task = self.timers.popDue(now: now) {
                task()
                budget -= 1
            }
        }
        self.drainIncoming()
    }

    private func drainIncoming() {
        var counter: UInt64 = 0
        _ = read(self.wake, &counter, 8)
        pthread_mutex_lock(self.lock)
        let tasks = self.incoming
        self.incoming.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(self.lock)
        for task in tasks { task() }
    }
}
