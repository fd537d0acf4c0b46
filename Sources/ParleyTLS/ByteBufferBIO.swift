internal import COpenSSL
import NIOCore

/// A BIO whose reads come straight out of the `ByteBuffer`s received from the network and whose writes go straight
/// into the `ByteBuffer` that is then written to it: one copy each way, into and out of OpenSSL's record buffers
/// (swift-nio-ssl's `ByteBufferBIO` does the same over BoringSSL).
///
/// Two memory BIOs instead cost two copies each way and a `BUF_MEM` reallocation per write, and kept their buffers:
/// an idle STARTTLS session took about 3 KB more RSS. One object serves as both the read and the write BIO
/// (`SSL_set_bio(3)`).
///
/// The `BIO` holds an unretained pointer to this object; the `TLSConnection` that owns both frees the `SSL` (and
/// with it the `BIO`) before it lets go of this object.
final class ByteBufferBIO {
    /// The `BIO*`, owned by the `SSL` once `SSL_set_bio` has been called.
    let pointer: OpaquePointer
    /// Ciphertext received and not yet read by OpenSSL; `nil` when there is none, so that an idle session keeps no
    /// buffer.
    private var inbound: ByteBuffer?
    /// Ciphertext OpenSSL wrote and the handler has not taken yet.
    private var outbound: ByteBuffer?
    /// The size `outbound` starts at, if the caller knows how much is coming (`reserveOutput(_:)`).
    private var outboundReservation = 0
    private let allocator = ByteBufferAllocator()

    init() throws {
        OpenSSLError.clearQueue()
        guard let method = Self.method, let pointer = BIO_new(method) else {
            throw OpenSSLError.drain(operation: "BIO_new")
        }
        self.pointer = pointer
        BIO_set_data(pointer, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(pointer, 1)
    }

    /// Bytes received that OpenSSL has not read yet.
    var inboundBytes: Int {
        self.inbound?.readableBytes ?? 0
    }

    /// Hands ciphertext from the network to OpenSSL's next reads. No copy unless an incomplete record is waiting.
    func receive(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else {
            return
        }
        if var waiting = self.inbound {
            self.inbound = nil  // unique again, so the append below does not copy `waiting` first
            var more = buffer
            waiting.writeBuffer(&more)
            self.inbound = waiting
        } else {
            self.inbound = buffer
        }
    }

    /// Called once OpenSSL has read what it can: an incomplete record left over is copied out, so that it does not
    /// pin the network's (possibly large) receive buffer while its peer takes its time.
    func compactInbound() {
        guard let waiting = self.inbound, waiting.readableBytes > 0 else {
            self.inbound = nil
            return
        }
        if waiting.capacity > 2 * waiting.readableBytes {
            var copy = self.allocator.buffer(capacity: waiting.readableBytes)
            copy.writeImmutableBuffer(waiting)
            self.inbound = copy
        }
    }

    /// Makes the next output buffer at least `bytes` long, so that a flush's records land in one allocation.
    func reserveOutput(_ bytes: Int) {
        self.outboundReservation = bytes
    }

    /// Everything OpenSSL has written since the last call, or `nil` if nothing.
    func takeOutput() -> ByteBuffer? {
        defer { self.outbound = nil }
        return self.outbound
    }

    // MARK: - The BIO method

    private func read(_ destination: UnsafeMutablePointer<CChar>, _ length: Int, _ bio: OpaquePointer) -> Int {
        guard length > 0, var waiting = self.inbound, waiting.readableBytes > 0 else {
            COpenSSL_BIO_set_retry_read(bio)  // nothing yet: OpenSSL reports SSL_ERROR_WANT_READ
            return 0
        }
        self.inbound = nil
        let count = min(length, waiting.readableBytes)
        waiting.withUnsafeReadableBytes { source in
            UnsafeMutableRawBufferPointer(start: destination, count: count).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source.prefix(count))
            )
        }
        waiting.moveReaderIndex(forwardBy: count)
        self.inbound = waiting.readableBytes > 0 ? waiting : nil
        return count
    }

    private func write(_ source: UnsafePointer<CChar>, _ length: Int) {
        var output = self.outbound ?? self.allocator.buffer(capacity: max(length, self.outboundReservation))
        self.outbound = nil  // unique, so the write below does not copy
        self.outboundReservation = 0
        output.writeBytes(UnsafeRawBufferPointer(start: source, count: length))
        self.outbound = output
    }

    private func control(_ command: Int32, _ argument: Int, _ bio: OpaquePointer) -> Int {
        switch command {
        case BIO_CTRL_PENDING:
            return self.inboundBytes
        case BIO_CTRL_WPENDING:
            return self.outbound?.readableBytes ?? 0
        case BIO_CTRL_FLUSH:
            return 1  // the handler writes what was produced once OpenSSL returns
        case BIO_CTRL_GET_CLOSE:
            return Int(BIO_get_shutdown(bio))
        case BIO_CTRL_SET_CLOSE:
            BIO_set_shutdown(bio, Int32(truncatingIfNeeded: argument))
            return 1
        default:
            return 0  // BIO_CTRL_EOF included: more may always arrive
        }
    }

    private static func object(_ bio: OpaquePointer?) -> ByteBufferBIO? {
        guard let bio, let data = BIO_get_data(bio) else {
            return nil
        }
        return Unmanaged<ByteBufferBIO>.fromOpaque(data).takeUnretainedValue()
    }

    /// Made once per process and never freed, as OpenSSL's own methods are. Unchanged after this initializer, and
    /// `BIO_new` only reads it, from any thread.
    nonisolated(unsafe) private static let method: OpaquePointer? = {
        guard let method = BIO_meth_new(BIO_get_new_index() | COpenSSL_BIO_TYPE_SOURCE_SINK(), "Parley ByteBuffer")
        else {
            return nil
        }
        _ = BIO_meth_set_read_ex(method) { bio, destination, length, read in
            guard let bio, let object = ByteBufferBIO.object(bio), let destination, let read else {
                return 0
            }
            let count = object.read(destination, length, bio)
            read.pointee = count
            return count > 0 ? 1 : 0
        }
        _ = BIO_meth_set_write_ex(method) { bio, source, length, written in
            guard let object = ByteBufferBIO.object(bio), let source, let written else {
                return 0
            }
            COpenSSL_BIO_clear_retry_flags(bio)
            object.write(source, length)
            written.pointee = length
            return 1
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, argument, _ in
            guard let bio, let object = ByteBufferBIO.object(bio) else {
                return 0
            }
            return object.control(command, argument, bio)
        }
        _ = BIO_meth_set_destroy(method) { bio in
            BIO_set_data(bio, nil)
            BIO_set_init(bio, 0)
            return 1
        }
        return method
    }()
}
