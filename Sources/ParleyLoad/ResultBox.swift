#if canImport(Glibc)
import Glibc
#endif

/// A value handed from the raw loop's thread to a waiting thread (the runner's polls).
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked Sendable: `value` is written once and read after the condition variable says so, both under `mutex`.
    private var value: T?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        self.mutex = .allocate(capacity: 1)
        self.condition = .allocate(capacity: 1)
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.condition, nil)
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    func set(_ value: T) {
        pthread_mutex_lock(self.mutex)
        self.value = value
        pthread_cond_broadcast(self.condition)
        pthread_mutex_unlock(self.mutex)
    }

    func wait() -> T {
        pthread_mutex_lock(self.mutex)
        while self.value == nil { pthread_cond_wait(self.condition, self.mutex) }
        let value = self.value!
        pthread_mutex_unlock(self.mutex)
        return value
    }
}
