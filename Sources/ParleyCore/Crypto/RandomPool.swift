internal import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// Random bytes for identifiers (stream IDs, resources, anonymous usernames, session IDs), drawn from OpenSSL's
/// CSPRNG 4 KiB at a time, one pool per thread.
///
/// OpenSSL 3.0 spends about 6,000 instructions on every `RAND_bytes` call whatever its size (the DRBG's lock, its
/// reseed checks, parameters looked up by name): four calls per login and join were 3% of a join's instructions.
/// Drawn in bulk, the same bytes cost a few instructions each.
///
/// Every byte is handed out once and wiped from the pool as it goes. A pool belongs to the thread that made it (a
/// pthread key), so it needs no lock. The unused rest of a pool says no more about future identifiers than
/// OpenSSL's own DRBG state, which sits in the same process's memory. Key material (salts, nonces, secrets) does
/// not come from here: `SecureRandom.bytes` asks OpenSSL directly.
final class RandomPool {
    static let capacity = 4096

    private let storage: UnsafeMutablePointer<UInt8>
    /// The next byte not yet handed out; `capacity` when the pool is empty.
    private var next: Int

    private init() {
        self.storage = .allocate(capacity: Self.capacity)
        self.storage.initialize(repeating: 0, count: Self.capacity)
        self.next = Self.capacity
    }

    deinit {
        self.storage.update(repeating: 0, count: Self.capacity)
        self.storage.deallocate()
    }

    /// Fills `out` with fresh random bytes, refilling the pool from OpenSSL as often as needed.
    func fill(_ out: UnsafeMutableBufferPointer<UInt8>) {
        guard let base = out.baseAddress else { return }
        var written = 0
        while written < out.count {
            if self.next == Self.capacity {
                let ok = RAND_bytes(self.storage, Int32(Self.capacity))
                precondition(ok == 1, "RAND_bytes failed: no entropy")
                self.next = 0
            }
            let count = min(out.count - written, Self.capacity - self.next)
            (base + written).update(from: self.storage + self.next, count: count)
            (self.storage + self.next).update(repeating: 0, count: count)
            self.next += count
            written += count
        }
    }

    /// The calling thread's pool, made on first use and freed when the thread ends.
    static var current: RandomPool {
        if let pointer = pthread_getspecific(Self.key) {
            return Unmanaged<RandomPool>.fromOpaque(pointer).takeUnretainedValue()
        }
        let pool = RandomPool()
        let status = pthread_setspecific(Self.key, Unmanaged.passRetained(pool).toOpaque())
        precondition(status == 0, "pthread_setspecific failed")
        return pool
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<RandomPool>.fromOpaque(pointer).release()
        }
        precondition(status == 0, "pthread_key_create failed")
        return key
    }()
}
